/** The roles one codebase runs as (`start --roles`), apart from the service itself so the CLI can parse them without loading it. */
export const ROLES = ['scheduler', 'worker', 'web'] as const;
export type Role = (typeof ROLES)[number];
