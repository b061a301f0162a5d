// The lab program. Filled in by the main-job work (issue 6).
export {};
