export {
  type CriClient,
  type CriClientOptions,
  createCriClient,
  type ImageApi,
  type RuntimeApi,
} from "./cri-client.ts";
export { defaultRuntimeEndpoint, parseRuntimeEndpoint } from "./endpoint.ts";
export { criError } from "./errors.ts";
export * as cri from "./gen/cri/v1/api_pb.js";
export { createUnixGrpcTransport } from "./transport.ts";
