/** The feature gates the scheduler plugins read, with their v1.35 defaults. */
export interface FeatureGates {
  PodLevelResources: boolean;
  SidecarContainers: boolean;
  TaintTolerationComparisonOperators: boolean;
}

export const defaultFeatureGates: Readonly<FeatureGates> = Object.freeze({
  PodLevelResources: true,
  SidecarContainers: true,
  TaintTolerationComparisonOperators: false,
});

/** Fills unset gates with their defaults; unknown gate names are ignored. */
export function resolveFeatureGates(gates?: Partial<FeatureGates> | null): FeatureGates {
  return { ...defaultFeatureGates, ...(gates ?? {}) };
}
