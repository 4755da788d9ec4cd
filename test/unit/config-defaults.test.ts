/**
 * Every default is written once, in its declaration (src/config/vars.ts):
 * the loader reads an unset variable as its declared default, so setting
 * each variable to its documented default changes nothing.
 */
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { VARS } from '../../src/config/vars.js';
import { configProblems } from '../support/config.js';

const withDefaults = Object.values(VARS).filter((v): v is typeof v & { default: string } => v.default !== undefined);

describe('configuration defaults, declared once', () => {
  test.each(withDefaults.map((v) => [v.name, v] as const))('%s: its declared default is valid', (_name, v) => {
    expect(() => v.parse(v.default)).not.toThrow();
  });

  test('each variable set to its documented default gives the configuration of an empty environment', () => {
    const explicit = Object.fromEntries(withDefaults.map((v) => [v.name, v.default]));
    expect(loadConfig(explicit)).toEqual(loadConfig({}));
  });

  test('a bad value is still reported with the others (the default stands in while reading goes on)', () => {
    const message = configProblems({ PORT: 'http', REFRESH_WINDOW_DAYS: 'week', RETENTION_DAYS: '3' });
    expect(message).toContain("PORT='http'");
    expect(message).toContain("REFRESH_WINDOW_DAYS='week'");
    // Checked against the default window (7) while REFRESH_WINDOW_DAYS is bad.
    expect(message).toContain("RETENTION_DAYS=3 is below crm_metrics_daily's refresh window of 7 days");
  });
});
