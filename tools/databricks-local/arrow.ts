/**
 * Result sets as a Databricks SQL warehouse sends them to the Thrift driver:
 * a TTableSchema, an Arrow IPC schema message (`arrowSchema`) and Arrow IPC
 * record-batch messages (`arrowBatches`) that the driver reads as
 * `RecordBatchReader.from([arrowSchema, ...batches])`.
 */
import { createRequire } from 'node:module';
// apache-arrow 13 publishes types for its CommonJS entry only; load that one
// (the same module instance the driver uses).
import type * as ArrowModule from 'apache-arrow' with { 'resolution-mode': 'require' };
import type { Data, DataType, Field, RecordBatch, Schema } from 'apache-arrow' with { 'resolution-mode': 'require' };
import type { Cell, Column, ColumnKind, ResultSet } from './results.js';
import { T, type TColumnDesc, type TSparkArrowBatch, type TTableSchema } from './thrift.js';

const {
  Bool,
  DateDay,
  Decimal,
  Field: ArrowField,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  Null,
  RecordBatch: ArrowRecordBatch,
  RecordBatchStreamWriter,
  Schema: ArrowSchema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  makeData,
  vectorFromArray,
} = createRequire(import.meta.url)('apache-arrow') as typeof ArrowModule;

/** What the client asked for in TExecuteStatementReq.useArrowNativeTypes. */
export interface ArrowOptions {
  readonly timestampAsArrow: boolean;
  readonly decimalAsArrow: boolean;
}

const EOS_BYTES = 8;

const THRIFT_TYPE: Record<ColumnKind, number> = {
  boolean: T.TTypeId.BOOLEAN_TYPE,
  tinyint: T.TTypeId.TINYINT_TYPE,
  smallint: T.TTypeId.SMALLINT_TYPE,
  int: T.TTypeId.INT_TYPE,
  bigint: T.TTypeId.BIGINT_TYPE,
  float: T.TTypeId.FLOAT_TYPE,
  double: T.TTypeId.DOUBLE_TYPE,
  string: T.TTypeId.STRING_TYPE,
  date: T.TTypeId.DATE_TYPE,
  timestamp: T.TTypeId.TIMESTAMP_TYPE,
  decimal: T.TTypeId.DECIMAL_TYPE,
  void: T.TTypeId.NULL_TYPE,
};

export function tableSchema(rs: ResultSet): TTableSchema {
  const columns = rs.columns.map((c, i): TColumnDesc => {
    const typeQualifiers =
      c.kind === 'decimal' ? { qualifiers: { precision: { i32Value: c.precision ?? 38 }, scale: { i32Value: c.scale ?? 0 } } } : undefined;
    return {
      columnName: c.name,
      position: i + 1,
      typeDesc: {
        types: [{ primitiveEntry: typeQualifiers ? { type: THRIFT_TYPE[c.kind], typeQualifiers } : { type: THRIFT_TYPE[c.kind] } }],
      },
    };
  });
  return { columns };
}

function arrowType(c: Column, opts: ArrowOptions): DataType {
  switch (c.kind) {
    case 'boolean':
      return new Bool();
    case 'tinyint':
      return new Int8();
    case 'smallint':
      return new Int16();
    case 'int':
      return new Int32();
    case 'bigint':
      return new Int64();
    case 'float':
      return new Float32();
    case 'double':
      return new Float64();
    case 'string':
      return new Utf8();
    case 'date':
      return new DateDay();
    case 'timestamp':
      return opts.timestampAsArrow ? new TimestampMicrosecond('Etc/UTC') : new Utf8();
    case 'decimal':
      return opts.decimalAsArrow ? new Decimal(c.scale ?? 0, c.precision ?? 38, 128) : new Utf8();
    case 'void':
      return new Null();
  }
}

export function arrowSchemaOf(rs: ResultSet, opts: ArrowOptions): Schema {
  return new ArrowSchema(rs.columns.map((c) => new ArrowField(c.name, arrowType(c, opts), true)));
}

function streamBytes(schema: Schema, batch?: RecordBatch): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  if (batch) writer.write(batch);
  writer.finish();
  return writer.toUint8Array(true);
}

/** The IPC schema message alone (the stream minus its end-of-stream marker). */
export function arrowSchemaBytes(schema: Schema): Buffer {
  const bytes = streamBytes(schema);
  return Buffer.from(bytes.subarray(0, bytes.length - EOS_BYTES));
}

function validity(values: readonly Cell[]): { bitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) nullCount += 1;
    else bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  });
  return { bitmap, nullCount };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Databricks' text form of a timestamp (when the client did not ask for Arrow timestamps). */
function timestampText(micros: bigint): string {
  const ms = Number(micros / 1000n);
  const d = new Date(ms);
  const frac = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return frac === 0n ? base : `${base}.${pad(Number(frac), 6).replace(/0+$/, '')}`;
}

function decimalText(unscaled: bigint, scale: number): string {
  if (scale === 0) return unscaled.toString();
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

function decimalWords(values: readonly Cell[]): Uint32Array {
  const out = new Uint32Array(values.length * 4);
  values.forEach((v, i) => {
    let x = BigInt.asUintN(128, (v as bigint | null) ?? 0n);
    for (let w = 0; w < 4; w += 1) {
      out[i * 4 + w] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  });
  return out;
}

function columnData(c: Column, type: DataType, values: readonly Cell[]): Data {
  const length = values.length;
  const { bitmap, nullCount } = validity(values);
  const fixed = (data: ArrayBufferView): Data => makeData({ type, length, nullCount, nullBitmap: bitmap, data } as never);
  switch (c.kind) {
    case 'bigint':
      return fixed(BigInt64Array.from(values, (v) => (v as bigint | null) ?? 0n));
    case 'date':
      return fixed(Int32Array.from(values, (v) => (v as number | null) ?? 0));
    case 'timestamp':
      if (type instanceof Utf8)
        return vectorFromArray(
          values.map((v) => (v === null ? null : timestampText(v as bigint))),
          type,
        ).data[0] as Data;
      return fixed(new Int32Array(BigInt64Array.from(values, (v) => (v as bigint | null) ?? 0n).buffer));
    case 'decimal':
      if (type instanceof Utf8)
        return vectorFromArray(
          values.map((v) => (v === null ? null : decimalText(v as bigint, c.scale ?? 0))),
          type,
        ).data[0] as Data;
      return fixed(decimalWords(values));
    case 'void':
      return makeData({ type: new Null(), length });
    case 'boolean':
    case 'tinyint':
    case 'smallint':
    case 'int':
    case 'float':
    case 'double':
    case 'string':
      return vectorFromArray(values as unknown[], type).data[0] as Data;
  }
}

/** Arrow IPC record-batch messages for rows [start, end), at most `batchRows` rows each. */
export function arrowBatches(rs: ResultSet, schema: Schema, start: number, end: number, batchRows: number): TSparkArrowBatch[] {
  const schemaLength = arrowSchemaBytes(schema).length;
  const batches: TSparkArrowBatch[] = [];
  for (let from = start; from < end; from += batchRows) {
    const to = Math.min(end, from + batchRows);
    const children = rs.columns.map((c, i) => columnData(c, (schema.fields[i] as Field<DataType>).type, c.values.slice(from, to)));
    const data = makeData({ type: new Struct(schema.fields), length: to - from, nullCount: 0, children });
    const bytes = streamBytes(schema, new ArrowRecordBatch(schema, data));
    batches.push({ batch: Buffer.from(bytes.subarray(schemaLength, bytes.length - EOS_BYTES)), rowCount: to - from });
  }
  return batches;
}
