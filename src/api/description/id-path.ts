import type { JSONSchemaType } from 'ajv';

/** The `:id` of a path: any text the router matched; whether it names something is the service's answer (404). */
export const idPath = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as JSONSchemaType<{
  id: string;
}>;
