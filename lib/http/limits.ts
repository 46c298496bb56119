/** Bodies over these sizes are refused with 413 before anything is parsed. */
export const MAX_ORDER_BODY_BYTES = 64 * 1024;
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;
