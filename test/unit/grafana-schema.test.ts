/**
 * deploy/grafana/dashboards/crm-materializer.json against Grafana's own
 * dashboard model (the `Dashboard` type of @grafana/schema), checked by
 * `npm run typecheck`: a field of the wrong type or shape, at any depth, is a
 * compile error. The JSON's strings and numbers are widened by the compiler,
 * so enum-valued fields are compared as plain strings and numbers here (their
 * values are checked in grafana-dashboard.test.ts).
 */
import type { Dashboard } from '@grafana/schema';
import { describe, expect, test } from 'vitest';
import dashboard from '../../deploy/grafana/dashboards/crm-materializer.json' with { type: 'json' };

/** A type with its literal and enum members widened to string, number or boolean, at any depth. */
type Widened<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends readonly (infer U)[]
        ? Widened<U>[]
        : T extends object
          ? { [K in keyof T]: Widened<T[K]> }
          : T;

const checked = dashboard satisfies Widened<Dashboard>;

describe('Grafana dashboard model', () => {
  test('the dashboard is a Grafana Dashboard (checked at compile time)', () => {
    expect(checked.uid).toBe('crm-materializer');
    expect(checked.schemaVersion).toBeGreaterThanOrEqual(39);
  });
});
