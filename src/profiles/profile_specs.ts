/**
 * The profiles and listeners a configuration describes, in one shape
 * whether they come from the top level (profile "default", `listen:`) or
 * from `profiles:` and `listeners:`.
 *
 * @module
 */

import {
  DEFAULT_PROFILE,
  type DockgateConfig,
  type OwnerLabel,
} from "../config/schema.ts";
import type { TlsFilePaths } from "../listener/listen.ts";
import type { Cidr } from "./cidr.ts";

/** One named policy. */
export interface ProfileSpec {
  readonly name: string;
  readonly sections: DockgateConfig["sections"];
  readonly methods: DockgateConfig["methods"];
  readonly actions: DockgateConfig["actions"];
  readonly filters: DockgateConfig["filters"];
  readonly ownerLabel: OwnerLabel | null;
  readonly auditOnly: boolean;
  /** The token values; never logged. */
  readonly tokens: readonly string[];
}

/** Who gets which profile on a listener; the first matching rule wins. */
export interface ClientRule {
  /** Address ranges; null matches every client. */
  readonly cidrs: readonly Cidr[] | null;
  readonly profile: string;
}

/** One socket or TCP address and how its clients get a profile. */
export type ListenerSpec =
  & {
    /** `unix:///path` or `tcp://host:port`: the listener's identity. */
    readonly endpoint: string;
    readonly rules: readonly ClientRule[];
  }
  & (
    | { readonly socket: string; readonly socketPerms: number }
    | { readonly addr: string; readonly tls: TlsFilePaths | null }
  );

/** Every profile, "default" (the top level) first. */
export function profileSpecs(config: DockgateConfig): ProfileSpec[] {
  const specs: ProfileSpec[] = [{
    name: DEFAULT_PROFILE,
    sections: config.sections,
    methods: config.methods,
    actions: config.actions,
    filters: config.filters,
    ownerLabel: config.owner_label,
    auditOnly: config.audit_only,
    tokens: config.tokens.map((token) => token.value),
  }];
  for (const [name, profile] of Object.entries(config.profiles)) {
    specs.push({
      name,
      sections: profile.sections,
      methods: profile.methods,
      actions: profile.actions,
      filters: profile.filters,
      ownerLabel: profile.owner_label,
      auditOnly: profile.audit_only,
      tokens: profile.tokens.map((token) => token.value),
    });
  }
  return specs;
}

/** The files of a checked `tls:` mapping; null for plain TCP. */
function tlsFiles(tls: DockgateConfig["listen"]["tls"]): TlsFilePaths | null {
  if (tls === null || tls.cert_file === null || tls.key_file === null) {
    return null;
  }
  return { certFile: tls.cert_file, keyFile: tls.key_file };
}

const EVERY_CLIENT = (profile: string): ClientRule[] => [{
  cidrs: null,
  profile,
}];

/** Every listener: those of `listen:` (profile "default"), then the rest. */
export function listenerSpecs(config: DockgateConfig): ListenerSpec[] {
  const specs: ListenerSpec[] = [];
  const { listen } = config;
  if (listen.addr !== null) {
    specs.push({
      endpoint: `tcp://${listen.addr}`,
      addr: listen.addr,
      tls: tlsFiles(listen.tls),
      rules: EVERY_CLIENT(DEFAULT_PROFILE),
    });
  }
  if (listen.socket !== null) {
    specs.push({
      endpoint: `unix://${listen.socket}`,
      socket: listen.socket,
      socketPerms: listen.socket_perms,
      rules: EVERY_CLIENT(DEFAULT_PROFILE),
    });
  }
  for (const listener of config.listeners) {
    const rules = listener.clients === null
      ? EVERY_CLIENT(listener.profile ?? DEFAULT_PROFILE)
      : listener.clients.map((client) => ({
        cidrs: client.cidr,
        profile: client.profile,
      }));
    if (listener.socket !== null) {
      specs.push({
        endpoint: `unix://${listener.socket}`,
        socket: listener.socket,
        socketPerms: listener.socket_perms,
        rules,
      });
    } else if (listener.addr !== null) {
      specs.push({
        endpoint: `tcp://${listener.addr}`,
        addr: listener.addr,
        tls: tlsFiles(listener.tls),
        rules,
      });
    }
  }
  return specs;
}
