/**
 * A parsed profile with its quantities resolved to numbers in base units: what detection and
 * recommendations read. Input: a profile that passed ResourceProfileSchema (so every quantity
 * parses); output: cores and bytes with the unit in the field name. Pure.
 */
import { type ResourceProfile } from './schema.js';
import { parseBytes, parseCpuCores, type QuantityInput } from './quantity.js';

export interface ResourceAmounts {
  cpuCores?: number;
  memoryBytes?: number;
  ephemeralStorageBytes?: number;
}

export interface ContainerResources {
  name: string;
  requests: ResourceAmounts;
  limits: ResourceAmounts;
}

function amounts(list: { [R in 'cpu' | 'memory' | 'ephemeral-storage']?: QuantityInput | undefined } | undefined): ResourceAmounts {
  const out: ResourceAmounts = {};
  if (list === undefined) return out;
  const cpu = list.cpu === undefined ? undefined : parseCpuCores(list.cpu);
  const memory = list.memory === undefined ? undefined : parseBytes(list.memory);
  const storage = list['ephemeral-storage'] === undefined ? undefined : parseBytes(list['ephemeral-storage']);
  // The schema has already checked every quantity; a failure here is a bug, not bad input.
  for (const r of [cpu, memory, storage]) if (r !== undefined && !r.ok) throw new Error(`unchecked quantity: ${r.error.reason}`);
  if (cpu?.ok) out.cpuCores = cpu.value;
  if (memory?.ok) out.memoryBytes = memory.value;
  if (storage?.ok) out.ephemeralStorageBytes = storage.value;
  return out;
}

/** Per-container requests and limits of a validated profile, in cores and bytes. */
export function containerResources(profile: ResourceProfile): ContainerResources[] {
  return (profile.spec.containers ?? []).map((c) => ({
    name: c.name,
    requests: amounts(c.resources.requests),
    limits: amounts(c.resources.limits),
  }));
}
