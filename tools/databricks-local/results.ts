/**
 * A result set held column by column in the form the Arrow encoder wants:
 * DATE as epoch days, TIMESTAMP as epoch micros (bigint), BIGINT as bigint,
 * DECIMAL as its unscaled bigint.
 */
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBResultReader,
  type DuckDBValue,
} from '@duckdb/node-api';
import { StatementError } from './params.js';

export type ColumnKind =
  'boolean' | 'tinyint' | 'smallint' | 'int' | 'bigint' | 'float' | 'double' | 'string' | 'date' | 'timestamp' | 'decimal' | 'void';

export type Cell = null | boolean | number | bigint | string;

export interface Column {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly precision?: number;
  readonly scale?: number;
  readonly values: readonly Cell[];
}

export interface ResultSet {
  readonly columns: readonly Column[];
  readonly rowCount: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const KINDS: Partial<Record<DuckDBTypeId, ColumnKind>> = {
  [DuckDBTypeId.BOOLEAN]: 'boolean',
  [DuckDBTypeId.TINYINT]: 'tinyint',
  [DuckDBTypeId.SMALLINT]: 'smallint',
  [DuckDBTypeId.UTINYINT]: 'smallint',
  [DuckDBTypeId.INTEGER]: 'int',
  [DuckDBTypeId.USMALLINT]: 'int',
  // Databricks sums and counts are BIGINT; DuckDB widens sums to HUGEINT.
  [DuckDBTypeId.BIGINT]: 'bigint',
  [DuckDBTypeId.UINTEGER]: 'bigint',
  [DuckDBTypeId.UBIGINT]: 'bigint',
  [DuckDBTypeId.HUGEINT]: 'bigint',
  [DuckDBTypeId.UHUGEINT]: 'bigint',
  [DuckDBTypeId.FLOAT]: 'float',
  [DuckDBTypeId.DOUBLE]: 'double',
  [DuckDBTypeId.VARCHAR]: 'string',
  [DuckDBTypeId.UUID]: 'string',
  [DuckDBTypeId.ENUM]: 'string',
  [DuckDBTypeId.DATE]: 'date',
  [DuckDBTypeId.TIMESTAMP]: 'timestamp',
  [DuckDBTypeId.TIMESTAMP_TZ]: 'timestamp',
  [DuckDBTypeId.TIMESTAMP_S]: 'timestamp',
  [DuckDBTypeId.TIMESTAMP_MS]: 'timestamp',
  [DuckDBTypeId.TIMESTAMP_NS]: 'timestamp',
  [DuckDBTypeId.DECIMAL]: 'decimal',
  [DuckDBTypeId.SQLNULL]: 'void',
};

function kindOf(typeId: DuckDBTypeId, typeText: string): ColumnKind {
  const kind = KINDS[typeId];
  if (kind) return kind;
  throw new StatementError(
    '0A000',
    `[LOCAL_ENDPOINT_UNSUPPORTED] result column type ${typeText} is not supported by the local Databricks endpoint`,
  );
}

function cell(kind: ColumnKind, v: DuckDBValue, column: string): Cell {
  if (v === null) return null;
  switch (kind) {
    case 'date':
      return (v as DuckDBDateValue).days;
    case 'timestamp':
      if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return v.micros;
      if (v instanceof DuckDBTimestampSecondsValue) return v.seconds * 1_000_000n;
      if (v instanceof DuckDBTimestampMillisecondsValue) return v.millis * 1000n;
      if (v instanceof DuckDBTimestampNanosecondsValue) return v.nanos / 1000n;
      break;
    case 'decimal':
      return (v as DuckDBDecimalValue).value;
    case 'bigint': {
      const big = BigInt(v as bigint | number);
      if (big < INT64_MIN || big > INT64_MAX) {
        throw new StatementError('22003', `[ARITHMETIC_OVERFLOW] ${big} in column ${column} is out of the BIGINT range`);
      }
      return big;
    }
    case 'string':
      return typeof v === 'string' ? v : String(v);
    case 'boolean':
    case 'tinyint':
    case 'smallint':
    case 'int':
    case 'float':
    case 'double':
    case 'void':
      return v as Cell;
  }
  throw new StatementError('XX000', `unexpected value for ${kind} column ${column}`);
}

/** Read every row of a DuckDB result. */
export function fromReader(reader: DuckDBResultReader): ResultSet {
  const raw = reader.getColumns();
  const names = reader.columnNames();
  const columns = names.map((name, i): Column => {
    const type = reader.columnType(i);
    const kind = kindOf(type.typeId, type.toString());
    const values = (raw[i] ?? []).map((v) => cell(kind, v, name));
    if (kind === 'decimal') {
      const { width, scale } = type as unknown as { width: number; scale: number };
      return { name, kind, precision: width, scale, values };
    }
    return { name, kind, values };
  });
  return { columns, rowCount: reader.currentRowCount };
}

/** A result set made by the endpoint itself (INSERT counts, SET, VACUUM…). */
export function synthetic(columns: ReadonlyArray<{ name: string; kind: ColumnKind }>, rows: readonly Cell[][]): ResultSet {
  return {
    columns: columns.map((c, i) => ({ name: c.name, kind: c.kind, values: rows.map((r) => r[i] ?? null) })),
    rowCount: rows.length,
  };
}

/** The result Databricks returns for INSERT (and CREATE TABLE … AS). */
export const insertCounts = (affected: number, inserted: number): ResultSet =>
  synthetic(
    [
      { name: 'num_affected_rows', kind: 'bigint' },
      { name: 'num_inserted_rows', kind: 'bigint' },
    ],
    [[BigInt(affected), BigInt(inserted)]],
  );

/** The result Databricks returns for DELETE. */
export const deleteCounts = (affected: number): ResultSet =>
  synthetic([{ name: 'num_affected_rows', kind: 'bigint' }], [[BigInt(affected)]]);
