export { Space, entropySeed, checkSeed, isSpace } from './space.js';
export { Discrete, Box, MultiDiscrete, MultiBinary, type BoxDtype, type BoxArray, type BoxArrayOf, type BoxDtypeOf, type BoxShapeAndDtype } from './fundamental.js';
export { DISCRETE, BOX, BOX_FLOAT32, ANY_SPACE, type SpaceKind } from './kinds.js';
export { Tuple, Dict, type TupleValue, type DictValue } from './composite.js';
export { flatdim, flatten, unflatten, flattenSpace, batchSpace } from './utils.js';
