/** `urn:ngsi-ld:<Type>:<kommune>:<local id>`; the local id is percent-encoded where a URN needs it. */
export function entityId(type: string, kommune: string, localId: string): string {
  return `urn:ngsi-ld:${type}:${kommune}:${encodeURIComponent(localId)}`;
}

/** The datasetId that tells one instance of a multi-attribute from the others. */
export function datasetId(name: string): string {
  return `urn:ngsi-ld:Dataset:${encodeURIComponent(name)}`;
}
