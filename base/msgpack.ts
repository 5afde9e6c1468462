/**
 * The settings of nnlab's one msgpack codec, shared by every side of a socket (core/tensors.ts
 * `packr` for the coordinator, workers and checkpoints; the page's socket): `moreTypes` so typed
 * arrays round-trip bit-exactly (msgpackr's default `pack` silently corrupts Float32Array), no
 * records (plain maps: any peer decodes any frame without shared structure state). Options only:
 * base/ loads no msgpack package: each side builds `new Packr({ ...MSGPACK_OPTIONS })` from its own msgpackr
 * (a copy: msgpackr writes into the options object it is given).
 */
export const MSGPACK_OPTIONS = Object.freeze({ moreTypes: true, useRecords: false } as const);
