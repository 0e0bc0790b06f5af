/** Environment variable naming the current `npm test` run; set by global-setup.ts, inherited by workers and daemons. */
export const RUN_ID_ENV = 'DST_RUN_ID';
