/** The in-tree plugin registry: name → factory, and the extension points each plugin implements. */
import type { PluginFactory } from "../plugin.ts";
import { imageLocality } from "./image-locality.ts";
import { interPodAffinity } from "./inter-pod-affinity.ts";
import { nodeAffinity } from "./node-affinity.ts";
import { nodeLabel } from "./node-label.ts";
import { nodeName } from "./node-name.ts";
import { nodePorts } from "./node-ports.ts";
import { nodeResourcesBalancedAllocation } from "./node-resources-balanced-allocation.ts";
import { nodeResourcesFit } from "./node-resources-fit.ts";
import { nodeUnschedulable } from "./node-unschedulable.ts";
import { podTopologySpread } from "./pod-topology-spread.ts";
import { taintToleration } from "./taint-toleration.ts";
import { volumeRestrictions } from "./volume-restrictions.ts";

export interface RegistryEntry {
  factory: PluginFactory<never>;
  filter: boolean;
  score: boolean;
}

function entry(factory: PluginFactory<never>, filter: boolean, score: boolean): RegistryEntry {
  return { factory, filter, score };
}

export const registry: ReadonlyMap<string, RegistryEntry> = new Map([
  [nodeUnschedulable.name, entry(nodeUnschedulable as PluginFactory<never>, true, false)],
  [nodeName.name, entry(nodeName as PluginFactory<never>, true, false)],
  [taintToleration.name, entry(taintToleration as PluginFactory<never>, true, true)],
  [nodeAffinity.name, entry(nodeAffinity as PluginFactory<never>, true, true)],
  [nodePorts.name, entry(nodePorts as PluginFactory<never>, true, false)],
  [nodeResourcesFit.name, entry(nodeResourcesFit as PluginFactory<never>, true, true)],
  [volumeRestrictions.name, entry(volumeRestrictions as PluginFactory<never>, true, false)],
  [podTopologySpread.name, entry(podTopologySpread as PluginFactory<never>, true, true)],
  [interPodAffinity.name, entry(interPodAffinity as PluginFactory<never>, true, true)],
  [
    nodeResourcesBalancedAllocation.name,
    entry(nodeResourcesBalancedAllocation as PluginFactory<never>, false, true),
  ],
  [imageLocality.name, entry(imageLocality as PluginFactory<never>, false, true)],
  [nodeLabel.name, entry(nodeLabel as PluginFactory<never>, true, true)],
]);

/** Default Filter plugins, in the MultiPoint order of default_plugins.go. */
export const defaultFilterPlugins: readonly string[] = [
  "NodeUnschedulable",
  "NodeName",
  "TaintToleration",
  "NodeAffinity",
  "NodePorts",
  "NodeResourcesFit",
  "VolumeRestrictions",
  "PodTopologySpread",
  "InterPodAffinity",
];

/** Default Score plugins and weights, in the same order. */
export const defaultScorePlugins: readonly { name: string; weight: number }[] = [
  { name: "TaintToleration", weight: 3 },
  { name: "NodeAffinity", weight: 2 },
  { name: "NodeResourcesFit", weight: 1 },
  { name: "PodTopologySpread", weight: 2 },
  { name: "InterPodAffinity", weight: 2 },
  { name: "NodeResourcesBalancedAllocation", weight: 1 },
  { name: "ImageLocality", weight: 1 },
];
