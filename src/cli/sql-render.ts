/**
 * What `sql render` prints: every planned step of a run for one date as SQL
 * text, a comment with its bound values first. Pure (no engine, no clock):
 * the instant written into atualizado_em is given, so the same inputs give
 * the same text (test/golden/sql holds it for review).
 */
import type { Config } from '../config/index.js';
import { planStatements, type PlannedStep } from '../tables/plan.js';
import { SqlBuilder } from '../tables/statements.js';
import { dialectFor } from '../warehouse/dialect.js';
import type { Engine } from '../warehouse/types.js';
import type { IsoDate } from '../dates.js';

export interface RenderedStep {
  readonly step: PlannedStep;
  readonly text: string;
}

export function renderSteps(config: Config, engine: Engine, date: IsoDate, writtenAt: Date): RenderedStep[] {
  const sql = new SqlBuilder(config, dialectFor(engine));
  return planStatements(sql, config, date, writtenAt).map((step) => ({ step, text: formatStep(step, engine) }));
}

/** A planned step as SQL text: a comment with its bound values, then its statements. */
function formatStep(step: PlannedStep, engine: Engine): string {
  const params = Object.assign({}, ...step.statements.map((s) => s.params ?? {})) as Record<string, unknown>;
  const bound = Object.entries(params)
    .map(([k, v]) => `${k}=${describe(v)}`)
    .join(', ');
  const body = step.statements.map((s) => `${s.sql};`);
  const wrapped = step.atomic && engine === 'duckdb' ? ['BEGIN TRANSACTION;', ...body, 'COMMIT;'] : body;
  return [`-- ${step.title}${bound ? `  [${bound}]` : ''}`, ...wrapped, ''].join('\n');
}

function describe(v: unknown): string {
  if (v !== null && typeof v === 'object' && 'kind' in v && 'value' in v) {
    const { kind, value } = v as { kind: string; value: unknown };
    return `${kind.toUpperCase()} ${value instanceof Date ? value.toISOString() : String(value)}`;
  }
  return JSON.stringify(v);
}
