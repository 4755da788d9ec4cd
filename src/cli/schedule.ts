/** `schedule pause` / `schedule resume`: stop and restart the daily schedule, kept in Redis across restarts. */
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { UsageError } from '../errors.js';
import { formatInstant } from '../text-table.js';
import { parseOperatorFlag } from './operator.js';

type Out = (text: string) => void;

/** The pause operations and a queue client, loaded when a schedule command runs. */
const load = () => Promise.all([import('../producer/pause.js'), import('./queue-client.js')]);

export function registerScheduleCommands(program: Command, out: Out): void {
  const schedule = program
    .command('schedule')
    .description('pause or resume the daily schedule (manual runs and backfills still work while paused)');

  schedule
    .command('pause')
    .description('pause the schedule: ticks and the start-up catch-up plan nothing until `schedule resume`; survives restarts')
    .option('--reason <text>', 'why (shown in status and the audit log)')
    .option('--operator <name>', 'who pauses (default: the OS user)')
    .action(async (opts: { reason?: string; operator?: string }) => {
      const [{ pauseSchedule }, { withQueues }] = await load();
      const operator = parseOperatorFlag(opts.operator);
      const reason = opts.reason?.trim();
      if (reason !== undefined && (reason === '' || reason.length > 500))
        throw new UsageError('--reason must be 1-500 characters: say why the schedule is paused');
      return withQueues(async (c) => {
        const { paused, pause } = await pauseSchedule({ ...c, clock: systemClock }, operator, reason);
        const since = `since ${formatInstant(pause.at, c.config.scheduleTz)} by ${pause.by}${pause.reason ? ` (${pause.reason})` : ''}`;
        out(
          paused
            ? `schedule paused ${since}; resume with 'crm-materializer schedule resume'`
            : `schedule was paused already ${since}: nothing changed`,
        );
      });
    });

  schedule
    .command('resume')
    .description("resume the schedule; plans today's run when today's tick passed while paused")
    .option('--operator <name>', 'who resumes (default: the OS user)')
    .option('--no-catch-up', "do not plan today's run even if today's tick passed while paused")
    .action(async (opts: { operator?: string; catchUp: boolean }) => {
      const [{ resumeSchedule }, { withQueues }] = await load();
      const operator = parseOperatorFlag(opts.operator);
      return withQueues(async (c) => {
        const r = await resumeSchedule({ ...c, clock: systemClock }, operator, { catchUp: opts.catchUp });
        out(
          r.ended
            ? `schedule resumed (paused since ${formatInstant(r.ended.at, c.config.scheduleTz)} by ${r.ended.by})`
            : 'schedule was not paused: nothing changed',
        );
        if (r.caughtUp)
          out(`today's tick passed while paused: run ${r.caughtUp.runId} ${r.caughtUp.added ? 'queued' : 'was queued before'}`);
      });
    });
}
