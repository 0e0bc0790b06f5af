/** sysexits.h: what systemd and operators expect (README "Exit codes" lists each). */
export const EXIT = { OK: 0, USAGE: 64, UNAVAILABLE: 69, SOFTWARE: 70, CANTCREAT: 73, CONFIG: 78 } as const;
