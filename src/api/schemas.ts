/**
 * The read API's zod schemas: the query parameters each endpoint accepts
 * (params.ts validates requests with them) and the bodies it answers with
 * (shape.ts and freshness.ts build values of these types). openapi.ts
 * generates the OpenAPI document from the same schemas, so the document
 * cannot drift from what the code checks and sends.
 */
import { z } from 'zod';

/** The priority categories of docs/data-contract.md, in their order (`ordem` = index). */
export const PRIORIDADES = ['Vencidas', 'S=0', 'S=1', 'S=2', 'S=3', 'S=4', 'Posterior a S=4', 'Sem vencimento'] as const;
export type Prioridade = (typeof PRIORIDADES)[number];

export const MAX_RANGE_DAYS = 366;
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_CURSOR_LENGTH = 1024;

/** A query parameter: its schema, and the one-line message a bad value gets (HTTP 400 naming it). */
interface Param {
  readonly schema: z.ZodType<string>;
  readonly message: (name: string) => string;
}

const dateParam = (description: string): Param => ({
  schema: z.iso.date().meta({ description, examples: ['2026-11-29'] }),
  message: (name) => `${name} must be a real calendar date as YYYY-MM-DD, e.g. 2026-11-29`,
});
const idParam = (description: string): Param => ({
  schema: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .meta({ description, examples: ['O1'] }),
  message: (name) => `${name} must be 1 to 64 characters: letters, digits, _ . : -`,
});

const PARAMS = {
  from: dateParam('First day of the range (default: `to`; without `to`, the range ends at the newest day and spans at most 366 days).'),
  to: dateParam('Last day of the range (default: the newest `data_referencia`); at most 366 days after `from`.'),
  date: dateParam('The day read (default: the newest day in the table).'),
  organization_id: idParam('Only this organization.'),
  location_id: idParam('Only this location.'),
  responsavel: {
    // Names such as 'Fábio Nunes': any printable text, no control characters.
    schema: z
      .string()
      .regex(/^[^\p{Cc}]{1,128}$/u)
      .meta({ description: 'Only the actions of this person.', examples: ['ana'] }),
    message: () => 'responsavel must be 1 to 128 characters, without control characters',
  },
  prioridade: {
    schema: z.enum(PRIORIDADES).meta({ description: 'Only this priority category.' }),
    message: () => `prioridade must be one of: ${PRIORIDADES.join(', ')}`,
  },
  page_size: {
    // 1..500 as a pattern, so the document states the exact rule.
    schema: z
      .string()
      .regex(/^(?:[1-9]|[1-9][0-9]|[1-4][0-9]{2}|500)$/)
      .meta({ description: `Rows per page: a whole number from 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).`, examples: ['50'] }),
    message: () => `page_size must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
  },
  cursor: {
    schema: z
      .string()
      .min(1)
      .max(MAX_CURSOR_LENGTH)
      .meta({ description: 'The `next_cursor` of the previous page, with the same filters.' }),
    message: () => 'cursor is not one this API returned',
  },
} as const satisfies Record<string, Param>;
export type ParamName = keyof typeof PARAMS;

export const paramMessage = (name: ParamName): string => PARAMS[name].message(name);

function query<const N extends readonly ParamName[]>(names: N) {
  return z.strictObject(
    Object.fromEntries(names.map((n) => [n, PARAMS[n].schema.optional()])) as { [K in N[number]]: z.ZodOptional<z.ZodType<string>> },
  );
}

/** Each endpoint's query parameters (all optional; an unknown or repeated one is refused). */
export const QUERIES = {
  metrics: query(['from', 'to', 'organization_id', 'location_id']),
  priorities: query(['date', 'organization_id', 'location_id']),
  actions: query(['date', 'organization_id', 'location_id', 'responsavel', 'prioridade', 'page_size', 'cursor']),
  freshness: query([]),
} as const;

const day = z.iso.date();
const nullableDay = day.nullable();
const id = z.string().nullable();
const count = z.number().int().nonnegative();
const COUNT_FIELDS = {
  total_verificacoes: count,
  verificacoes_nao_conformes: count,
  total_perguntas: count,
  perguntas_nao_conformes: count,
  total_controles_criticos: count,
  controles_criticos_nao_conformes: count,
};
const pct = z.number().nullable().meta({ description: 'Percent with two decimals; null when the denominator is 0.' });

export const MetricsBody = z
  .object({
    from: nullableDay,
    to: nullableDay,
    organization_id: id,
    location_id: id,
    rows: z.array(
      z.object({
        data_referencia: nullableDay,
        organization_id: id,
        location_id: id,
        ...COUNT_FIELDS,
        atualizado_em: z.string().nullable(),
      }),
    ),
    totals: z.object(COUNT_FIELDS),
    rates: z.object({ verificacoes_nao_conformes_pct: pct, perguntas_nao_conformes_pct: pct, controles_criticos_nao_conformes_pct: pct }),
  })
  .meta({ description: 'The rows of crm_metrics_daily in [from, to], their totals and non-conforming rates.' });

export const PrioritiesBody = z
  .object({
    date: nullableDay,
    organization_id: id,
    location_id: id,
    total: count,
    categories: z
      .array(z.object({ prioridade: z.enum(PRIORIDADES), ordem: z.number().int().min(0).max(7), total_acoes: count }))
      .length(PRIORIDADES.length),
  })
  .meta({ description: 'The open actions of one day over the eight priority categories, zeros included.' });

export const ActionItem = z.object({
  action_id: z.string().nullable(),
  organization_id: id,
  location_id: id,
  verification_id: id,
  responsavel: id,
  tipo: id,
  status: id,
  data_vencimento: nullableDay,
  prioridade: z.string().nullable(),
  dias_atraso: z.number().int().nullable(),
  criado_em: z.string().nullable().meta({ description: "The source's local wall-clock time (no zone)." }),
  atualizado_em: z.string().nullable().meta({ description: 'When the service wrote the row (UTC).' }),
});

export const ActionsBody = z
  .object({
    date: nullableDay,
    organization_id: id,
    location_id: id,
    responsavel: id,
    prioridade: z.enum(PRIORIDADES).nullable(),
    page_size: z.number().int().min(1).max(MAX_PAGE_SIZE),
    total: count,
    items: z.array(ActionItem),
    next_cursor: z.string().nullable().meta({ description: 'Pass it back as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ description: "One page of a day's open actions, in priority order (keyset pagination)." });

const instant = z.string().nullable();
export const FreshnessBody = z
  .object({
    checked_at: z.string(),
    today: day,
    tables: z.array(
      z.object({
        table: z.string(),
        updated_at: instant,
        refreshing: z.boolean(),
        status: z.enum(['ok', 'warning', 'critical', 'unknown']),
        latest_date: nullableDay,
        data_lag_days: z.number().int().nullable(),
        last_refresh: z
          .object({
            date: day,
            run_id: z.string().optional(),
            outcome: z.enum(['success', 'failure']),
            finished_at: instant,
            rows_written: z.number().int().nullable().optional(),
          })
          .nullable(),
        last_validation: z
          .object({
            date: day,
            at: instant,
            status: z.string(),
            reasons: z.array(z.string()).readonly(),
            rows: z.number().int().nullable(),
            data_lag_days_at_date: z.number().int().nullable(),
          })
          .nullable(),
        generation: z.number().int().nonnegative(),
      }),
    ),
  })
  .meta({ description: 'Per table: when it was last refreshed, its lag and validation status (recorded state; never the warehouse).' });

/** RFC 9457 problem details: every error the API answers. */
export const ProblemBody = z
  .looseObject({
    type: z.string().meta({ description: 'A URI naming the kind of problem (`urn:crm-materializer:problem:<kind>`).' }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().meta({ description: 'What went wrong and how to fix it, in one line.' }),
    parameter: z.string().optional().meta({ description: 'The query parameter at fault (400).' }),
  })
  .meta({ description: 'RFC 9457 problem details (application/problem+json).' });

/** GET /api/v1/: where things are. */
export const IndexBody = z.object({
  name: z.string(),
  openapi: z.string(),
  endpoints: z.array(z.object({ path: z.string(), summary: z.string() })),
  board: z.string(),
  metrics: z.string(),
  health: z.string(),
});

export type MetricsAnswer = z.infer<typeof MetricsBody>;
export type PrioritiesAnswer = z.infer<typeof PrioritiesBody>;
export type ActionsAnswer = z.infer<typeof ActionsBody>;
export type FreshnessAnswer = z.infer<typeof FreshnessBody>;
export type Problem = z.infer<typeof ProblemBody>;
