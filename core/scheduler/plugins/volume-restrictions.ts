/**
 * VolumeRestrictions: the same GCE PD / AWS EBS / iSCSI / RBD volume cannot be
 * mounted by two pods on one node unless both are read-only (EBS never), and a
 * ReadWriteOncePod claim already in use blocks the pod.
 */
import type { Volume } from "../../api/mod.ts";
import { asArray, asObject, asString } from "../field-error.ts";
import type { PluginFactory } from "../plugin.ts";
import { skip, success, unschedulable } from "../status.ts";

export const volumeRestrictionsName = "VolumeRestrictions";
export const errReasonDiskConflict = "node(s) had no available disk";
export const errReasonReadWriteOncePodConflict =
  "node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already in-use by another pod";

export interface VolumeRestrictionsArgs {
  /** Claims ("namespace/name") whose access mode is ReadWriteOncePod (kite has no PVC objects). */
  readWriteOncePodClaims: string[];
}

function haveOverlap(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.includes(x));
}

/** isVolumeConflict: whether volume v of the incoming pod conflicts with an existing pod's volume. */
export function isVolumeConflict(v: Volume, existing: readonly Volume[]): boolean {
  for (const e of existing) {
    if (v.gcePersistentDisk && e.gcePersistentDisk) {
      const a = v.gcePersistentDisk;
      const b = e.gcePersistentDisk;
      if (a.pdName === b.pdName && !(a.readOnly && b.readOnly)) return true;
    }
    if (v.awsElasticBlockStore && e.awsElasticBlockStore) {
      if (v.awsElasticBlockStore.volumeID === e.awsElasticBlockStore.volumeID) return true;
    }
    if (v.iscsi && e.iscsi) {
      if (v.iscsi.iqn === e.iscsi.iqn && !(v.iscsi.readOnly && e.iscsi.readOnly)) return true;
    }
    if (v.rbd && e.rbd) {
      const a = v.rbd;
      const b = e.rbd;
      if (
        haveOverlap(a.monitors ?? [], b.monitors ?? []) &&
        (a.pool ?? "rbd") === (b.pool ?? "rbd") &&
        a.image === b.image &&
        !(a.readOnly && b.readOnly)
      ) {
        return true;
      }
    }
  }
  return false;
}

function needsConflictCheck(v: Volume): boolean {
  return !!(v.gcePersistentDisk || v.awsElasticBlockStore || v.iscsi || v.rbd);
}

export const volumeRestrictions: PluginFactory<VolumeRestrictionsArgs> = {
  name: volumeRestrictionsName,
  resolveArgs(raw) {
    const args = asObject(raw, "args");
    return {
      readWriteOncePodClaims: asArray(args.readWriteOncePodClaims, "readWriteOncePodClaims").map((c, i) =>
        asString(c, `readWriteOncePodClaims[${i}]`),
      ),
    };
  },
  create(args) {
    const rwop = new Set(args.readWriteOncePodClaims);
    return {
      name: volumeRestrictionsName,
      preFilter(ctx) {
        const volumes = ctx.pod.spec?.volumes ?? [];
        const ns = ctx.podInfo.namespace;
        for (const v of volumes) {
          const claim = v.persistentVolumeClaim?.claimName;
          if (claim && rwop.has(`${ns}/${claim}`) && (ctx.snapshot.pvcUsers.get(`${ns}/${claim}`) ?? 0) > 0) {
            return { status: unschedulable(errReasonReadWriteOncePodConflict) };
          }
        }
        return { status: volumes.some(needsConflictCheck) ? success : skip };
      },
      filter(ctx, node) {
        const volumes = (ctx.pod.spec?.volumes ?? []).filter(needsConflictCheck);
        if (volumes.length === 0) return success;
        for (const p of node.pods) {
          const existing = p.pod.spec?.volumes ?? [];
          if (existing.length === 0) continue;
          for (const v of volumes)
            if (isVolumeConflict(v, existing)) return unschedulable(errReasonDiskConflict);
        }
        return success;
      },
    };
  },
};
