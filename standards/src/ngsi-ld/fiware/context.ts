import { ngsiLdCoreContext } from '../entity.js';

/** The Smart Data Models context (every model's terms), then the NGSI-LD core context. */
export const fiwareContext = ['https://smartdatamodels.org/context.jsonld', ngsiLdCoreContext] as const;
