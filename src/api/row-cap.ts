/**
 * Bounded answers: a metrics range whose rows exceed API_METRICS_MAX_ROWS is
 * refused (400, parameter `to`) with a problem saying how to page it: the
 * last day up to which the range fits, to ask for first and go on from the
 * day after; or, when one day alone is over the cap, to filter by
 * organization_id or location_id.
 */
import { addDays, asIsoDate, type IsoDate } from '../dates.js';
import type { Row } from '../warehouse/types.js';
import { ParamError } from './params.js';

export function checkRowCap(rows: readonly Row[], maxRows: number, from: IsoDate | null): void {
  const data = rows.filter((r) => r.data_referencia !== null && r.data_referencia !== undefined);
  if (data.length <= maxRows) return;
  const first = asIsoDate(data[0]?.data_referencia) ?? from;
  const over = asIsoDate(data[maxRows]?.data_referencia) ?? first;
  if (first === null || over === null) return; // both rows are dated (filtered above)
  const lead = `the range has ${data.length} rows, over API_METRICS_MAX_ROWS (${maxRows})`;
  if (over <= first) {
    throw new ParamError('to', `${lead}, and ${first} alone is over it: filter by organization_id or location_id`);
  }
  const fits = addDays(over, -1);
  throw new ParamError(
    'to',
    `${lead}: ask for from=${first}&to=${fits}, then from=${over} onwards, or filter by organization_id or location_id`,
  );
}
