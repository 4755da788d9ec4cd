/** `audit`: the source audit (anomalies over the whole views), queued (default) or --inline. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { jobIds } from '../queue/jobs.js';

type Out = (text: string) => void;

export function registerAuditCommand(program: Command, out: Out): void {
  program
    .command('audit')
    .description(
      'count source anomalies over the whole views (verifications without a date, questions of unknown ' +
        'verifications, closed actions without CLOSED_AT), queued (default) or --inline',
    )
    .option('--inline', 'run the audit in this process instead of the queue')
    .option('--json', 'print the report (or the queued job) as JSON')
    .action(async (opts: { inline?: boolean; json?: boolean }) => {
      // Loaded when the command runs: `--help` and the other commands never load the queue or the engines.
      const [{ withQueues }, { defaultJobOptions }] = await Promise.all([import('./queue-client.js'), import('../queue/queues.js')]);
      if (!opts.inline) {
        await withQueues(async (c) => {
          const id = jobIds.sourceAudit(Date.now());
          await c.queues['source-audit'].add('source-audit', {}, { ...defaultJobOptions(c.config), jobId: id });
          out(
            opts.json
              ? JSON.stringify({ queued: id })
              : `source audit queued as ${id}: its report shows in Bull Board (queue source-audit) and as crm_source_anomalies`,
          );
        });
        return;
      }
      const [{ withServices }, { formatAudit, runSourceAudit }] = await Promise.all([import('./services.js'), import('../tasks/audit.js')]);
      await withServices(async ({ ctx }) => {
        const report = await runSourceAudit({ ...ctx, tag: { task: 'source-audit', runId: 'inline-audit' } });
        // Recorded like a queued audit, so its metrics and the staleness alert see it.
        let note = '';
        try {
          await withQueues((c) => c.state.recordAudit(report));
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          note = `not recorded for the metrics: ${e.message}`;
        }
        out(opts.json ? JSON.stringify(report, null, 2) : formatAudit(report));
        if (note) out(note);
      });
    });
}
