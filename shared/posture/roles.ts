/**
 * Built-in roles that matter for the posture check, by definition id. Templates name roles by
 * id only; inventories give the name too, and names are matched as a second way in.
 */

export type RoleKind =
  /** Manages resources, can list keys and grant itself data roles. */
  | 'control'
  /** Sees every resource and its settings. */
  | 'reader'
  /** Reads or writes data (or secrets) directly with its own token. */
  | 'data';

const BY_ID: Record<string, { name: string; kind: RoleKind }> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': { name: 'Owner', kind: 'control' },
  'b24988ac-6180-42a0-ab88-20f7382dd24c': { name: 'Contributor', kind: 'control' },
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': { name: 'User Access Administrator', kind: 'control' },
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': { name: 'Storage Account Contributor', kind: 'control' },
  '81a9662b-bebf-436f-a333-f67b29880f12': {
    name: 'Storage Account Key Operator Service Role',
    kind: 'control',
  },
  'c12c1c16-33a1-487b-954d-41c89c60f349': { name: 'Reader and Data Access', kind: 'control' },
  '5bd9cd88-fe45-4216-938b-f97437e15450': { name: 'DocumentDB Account Contributor', kind: 'control' },
  'fbdf93bf-df7d-467e-a4d2-9458aa1360c8': { name: 'Cosmos DB Account Reader Role', kind: 'control' },
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': { name: 'Reader', kind: 'reader' },
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': { name: 'Storage Blob Data Owner', kind: 'data' },
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': { name: 'Storage Blob Data Contributor', kind: 'data' },
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': { name: 'Storage Blob Data Reader', kind: 'data' },
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': { name: 'Storage Queue Data Contributor', kind: 'data' },
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': { name: 'Storage Table Data Contributor', kind: 'data' },
  '090c5cfd-751d-490a-894a-3ce6f1109419': { name: 'Azure Service Bus Data Owner', kind: 'data' },
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': { name: 'Azure Service Bus Data Receiver', kind: 'data' },
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': { name: 'Azure Service Bus Data Sender', kind: 'data' },
  '4633458b-17de-408a-b874-0445c86b69e6': { name: 'Key Vault Secrets User', kind: 'data' },
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': { name: 'Key Vault Secrets Officer', kind: 'data' },
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': { name: 'Key Vault Administrator', kind: 'data' },
};

/** Cosmos DB built-in data-plane role definitions (per account). */
const COSMOS: Record<string, string> = {
  '00000000-0000-0000-0000-000000000001': 'Cosmos DB Built-in Data Reader',
  '00000000-0000-0000-0000-000000000002': 'Cosmos DB Built-in Data Contributor',
};

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The last GUID in a role definition id (full id, bare GUID or template expression). */
export function roleGuid(text: string | undefined): string | undefined {
  const all = text?.match(GUID);
  return all?.[all.length - 1]?.toLowerCase();
}

export interface KnownRole {
  name: string;
  kind: RoleKind;
}

/** What a role is, from its id or name; undefined for roles the check does not judge. */
export function classifyRole(
  id: string | undefined,
  name: string | undefined,
  plane: 'arm' | 'cosmos',
): KnownRole | undefined {
  const guid = roleGuid(id);
  if (plane === 'cosmos') {
    // Any Cosmos DB SQL role assignment is data-plane access; custom ones too.
    return { name: (guid && COSMOS[guid]) ?? name ?? 'Cosmos DB data-plane role', kind: 'data' };
  }
  if (guid && BY_ID[guid]) return BY_ID[guid];
  if (!name) return undefined;
  const n = name.toLowerCase();
  if (n === 'owner' || n === 'contributor' || n === 'user access administrator')
    return { name, kind: 'control' };
  if (n === 'reader') return { name, kind: 'reader' };
  if (/key operator|reader and data access|account contributor|account reader role/.test(n))
    return { name, kind: 'control' };
  if (
    /\bdata (owner|contributor|reader|receiver|sender)\b|secrets (user|officer)|key vault administrator/.test(
      n,
    )
  )
    return { name, kind: 'data' };
  return undefined;
}
