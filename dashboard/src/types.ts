/**
 * The page's view of the protocol: types only, from protocol/messages.ts (erased by esbuild,
 * so nothing of the coordinator — zod included — reaches the bundle). The values the page
 * needs, the protocol version, the close codes and the coordinator's paths, come from protocol/constants.ts, which imports
 * nothing (test/architecture.test.ts checks both).
 */
import type * as protocol from '../../protocol/messages.js';

export { CLOSE, PATHS, PROTOCOL_VERSION } from '../../protocol/constants.js';

export type { CoordinatorMessage, MetricPoint, MetricsMessage, ParamsMessage, PeerMessage, RunStateMessage, RunSummary, TrialMetricNames, TrialStatus, WorkerSummary } from '../../protocol/messages.js';

/** One named tensor as it arrives over the socket (core/tensors.ts TensorMap). */
export type TensorMap = protocol.ParamsMessage['params'];
/** The hidden activation of a published policy (core/activation.ts HiddenActivation, reached through the params message). */
export type HiddenActivation = NonNullable<protocol.ParamsMessage['activation']>;
