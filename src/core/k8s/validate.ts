import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { badInput, KhaosError } from '../errors.js';

/**
 * Checks Kubernetes objects against the CustomResourceDefinitions of the Flink operator and Chaos
 * Mesh before Khaos sends them, so that a bad object never reaches an API server and the user is
 * told which field to fix. ajv checks types, enums and required fields of each CRD's
 * openAPIV3Schema; the schemas do not forbid unknown fields (the API server drops or refuses them),
 * so a walk of the schema's `properties` reports those, as the API server's strict field
 * validation does.
 */

/** A JSON-schema node of a CRD (openAPIV3Schema), as far as the walk needs it. */
interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

/** A CustomResourceDefinition (apiextensions.k8s.io/v1), the fields used here. */
export interface Crd {
  metadata: { name: string };
  spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema: SchemaNode } }[] };
}

/** A Kubernetes object: apiVersion, kind, metadata and the rest. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

/** One thing wrong with an object: the field (`spec.job.parallelism`) and what to do. */
export interface Problem {
  path: string;
  message: string;
}

/** Built-in kinds Khaos renders; they have no CRD here, and the API server checks them. */
const BUILT_IN = new Set(['v1/ServiceAccount', 'v1/Namespace', 'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/RoleBinding']);

/** Fields of ObjectMeta a client may set (the others are the server's). */
const OBJECT_META = ['name', 'generateName', 'namespace', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'];

const X_KEYWORDS = ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations'];

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `the string ${JSON.stringify(v)}` : typeof v === 'number' ? `the number ${v}` : typeof v);

/** `/spec/containers/0/name` → `spec.containers[0].name` (kubectl's spelling). */
const fieldPath = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');

function at(value: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((v, p) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), value);
}

/** An ajv error in words a user can act on; errors inside an anyOf branch are left to the anyOf's own. */
function describe(e: ErrorObject, obj: unknown): Problem | undefined {
  if (/\/anyOf\/\d+\//.test(e.schemaPath)) return undefined;
  const path = fieldPath(e.instancePath) || '(object)';
  const got = typeOf(at(obj, e.instancePath));
  switch (e.keyword) {
    case 'enum':
      return { path, message: `${got} is not allowed; use one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'type': {
      const want = String(e.params.type);
      const hint = want === 'integer' || want === 'number' ? (typeof at(obj, e.instancePath) === 'string' ? '; write the number without quotes' : '') : '';
      return { path, message: `must be ${want === 'integer' ? 'an integer' : `a ${want}`}, got ${got}${hint}` };
    }
    case 'required':
      return { path: path === '(object)' ? String(e.params.missingProperty) : `${path}.${String(e.params.missingProperty)}`, message: 'is required; set it' };
    case 'anyOf':
      return { path, message: `must be an integer or a string, got ${got}` };
    default:
      return { path, message: `${e.message ?? 'is invalid'} (got ${got})` };
  }
}

/** Fields of `value` that `schema` does not declare, as paths below `path`; `allowed` keys are taken as they are. */
function unknownFields(value: unknown, schema: SchemaNode, path: string, allowed: readonly string[] = []): Problem[] {
  const join = (k: string) => (path ? `${path}.${k}` : k);
  if (Array.isArray(value)) return schema.items ? value.flatMap((v, i) => unknownFields(v, schema.items!, `${path}[${i}]`)) : [];
  if (value === null || typeof value !== 'object') return [];
  const out: Problem[] = [];
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true ? ['apiVersion', 'kind', 'metadata'] : [];
  for (const [k, v] of Object.entries(value)) {
    const child = schema.properties?.[k];
    // apiVersion, kind and metadata of an object are the API server's own (metadataProblems checks Khaos's).
    if (allowed.includes(k) || embedded.includes(k)) continue;
    else if (child) out.push(...unknownFields(v, child, join(k)));
    else if (typeof schema.additionalProperties === 'object') out.push(...unknownFields(v, schema.additionalProperties, join(k)));
    else if (schema.additionalProperties === true || preserve) continue;
    else {
      const known = [...Object.keys(schema.properties ?? {}), ...allowed];
      out.push({ path: join(k), message: `unknown field; remove it or fix its spelling${known.length ? ` (known here: ${known.join(', ')})` : ''}` });
    }
  }
  return out;
}

/** The metadata Khaos sets, checked as the API server would: a name, string labels and annotations, no unknown field. */
function metadataProblems(meta: unknown): Problem[] {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return [{ path: 'metadata', message: `must be an object with at least a name, got ${typeOf(meta)}` }];
  const m = meta as Record<string, unknown>;
  const out = Object.keys(m)
    .filter((k) => !OBJECT_META.includes(k))
    .map((k) => ({ path: `metadata.${k}`, message: `unknown field; remove it or fix its spelling (known here: ${OBJECT_META.join(', ')})` }));
  if (typeof m.name !== 'string' || m.name === '') out.push({ path: 'metadata.name', message: 'is required; set it' });
  for (const map of ['labels', 'annotations'])
    for (const [k, v] of Object.entries((m[map] ?? {}) as Record<string, unknown>))
      if (typeof v !== 'string') out.push({ path: `metadata.${map}.${k}`, message: `must be a string, got ${typeOf(v)}; quote it` });
  return out;
}

/** The CRD schemas in force, compiled once per kind. Construct with the parsed CRD documents. */
export class CrdValidator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, keywords: X_KEYWORDS });
  private readonly schemas = new Map<string, SchemaNode>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(crds: readonly Crd[]) {
    for (const crd of crds)
      for (const v of crd.spec.versions)
        if (v.served && v.schema) this.schemas.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
  }

  /** `group/version/Kind` of every kind with a schema. */
  kinds(): string[] {
    return [...this.schemas.keys()];
  }

  /** Everything wrong with `obj` (empty when it may be sent). A kind without a CRD here is a problem unless it is one of the built-in kinds Khaos renders. */
  problems(obj: unknown): Problem[] {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [{ path: '(object)', message: `must be an object, got ${typeOf(obj)}` }];
    const o = obj as Record<string, unknown>;
    const key = `${String(o.apiVersion)}/${String(o.kind)}`;
    if (BUILT_IN.has(key)) return metadataProblems(o.metadata);
    const schema = this.schemas.get(key);
    if (!schema) return [{ path: 'apiVersion', message: `no CRD for ${String(o.kind)} in ${String(o.apiVersion)}; known: ${this.kinds().join(', ')}` }];
    let validate = this.compiled.get(key);
    if (!validate) this.compiled.set(key, (validate = this.ajv.compile(schema)));
    validate(obj);
    const typed = (validate.errors ?? []).map((e) => describe(e, obj)).filter((p): p is Problem => p !== undefined);
    return [...metadataProblems(o.metadata), ...typed, ...unknownFields(obj, schema, '', ['apiVersion', 'kind', 'metadata'])];
  }

  /** Throws KhaosError('bad-input') naming every problem of every object, each by kind, name and field. */
  check(objects: readonly unknown[]): void {
    const lines = objects.flatMap((obj) => {
      const o = obj as Partial<K8sObject> | null;
      const what = `${o?.kind ?? 'object'} ${o?.metadata?.name ?? '(unnamed)'}`;
      return this.problems(obj).map((p) => `  ${what}: ${p.path}: ${p.message}`);
    });
    if (lines.length > 0) throw badInput(`${lines.length} problem(s) in the Kubernetes objects, found before sending them:\n${lines.join('\n')}`, 'fix the fields named above (the CRDs are in ../shared/k8s/crds/)');
  }
}

/** The CRDs among parsed YAML documents (other documents are ignored); throws if none is a CRD. */
export function crdsOf(documents: readonly unknown[], source: string): Crd[] {
  const crds = documents.filter((d): d is Crd => (d as { kind?: string } | null)?.kind === 'CustomResourceDefinition');
  if (crds.length === 0) throw new KhaosError('environment', `no CustomResourceDefinition in ${source}`, 'point Khaos at the CRDs of the Flink operator and Chaos Mesh (../shared/k8s/crds/)');
  return crds;
}
