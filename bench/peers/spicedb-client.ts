/**
 * The calls `npm run bench:peers` makes to SpiceDB, through @authzed/authzed-node over gRPC on loopback: write the
 * schema, import relationships (the bulk-import stream), CheckPermission, CheckBulkPermissions, LookupSubjects.
 * Every read asks for full consistency: the answer at the datastore's head, which is the import's revision, so no
 * answer comes from before the load (with the default minimize-latency a read may be served up to 5 s in the past).
 */
import { v1 } from '@authzed/authzed-node';
import type { SpiceDBServer } from './spicedb-server.ts';

/** One question in SpiceDB's terms: does `user:<subject>` have `permission` on `<resource>` (`type:id`)? */
export interface SpiceQuestion {
  resource: string;
  permission: string;
  subject: string;
}

export type Client = ReturnType<typeof v1.NewClient>;

const consistency = (): v1.Consistency => v1.Consistency.create({ requirement: { oneofKind: 'fullyConsistent', fullyConsistent: true } });

const object = (ref: string): v1.ObjectReference => {
  const colon = ref.indexOf(':');
  return v1.ObjectReference.create({ objectType: ref.slice(0, colon), objectId: ref.slice(colon + 1) });
};

const userSubject = (id: string): v1.SubjectReference => v1.SubjectReference.create({ object: v1.ObjectReference.create({ objectType: 'user', objectId: id }) });

/** `type:id#relation@type:id[#relation]` (zed's tuple text) as a Relationship message. */
export function relationship(tuple: string): v1.Relationship {
  const hash = tuple.indexOf('#');
  const at = tuple.indexOf('@', hash);
  const subject = tuple.slice(at + 1);
  const subjectHash = subject.indexOf('#');
  return v1.Relationship.create({
    resource: object(tuple.slice(0, hash)),
    relation: tuple.slice(hash + 1, at),
    subject: v1.SubjectReference.create({
      object: object(subjectHash < 0 ? subject : subject.slice(0, subjectHash)),
      optionalRelation: subjectHash < 0 ? '' : subject.slice(subjectHash + 1),
    }),
  });
}

export function connect(server: SpiceDBServer): Client {
  return v1.NewClient(server.presharedKey, server.endpoint, v1.ClientSecurity.INSECURE_PLAINTEXT_CREDENTIALS);
}

export async function writeSchema(client: Client, schema: string): Promise<void> {
  await client.promises.writeSchema(v1.WriteSchemaRequest.create({ schema }));
}

/** Streams the relationships in messages of `batch`; resolves with the count SpiceDB says it loaded. */
export async function importRelationships(client: Client, tuples: readonly string[], batch = 1_000): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const stream = client.importBulkRelationships((error, response) => (error ? reject(error) : resolve(Number(response?.numLoaded ?? 0))));
    let next = 0;
    const pump = (): void => {
      while (next < tuples.length) {
        const chunk = tuples.slice(next, next + batch).map(relationship);
        next += batch;
        if (!stream.write(v1.ImportBulkRelationshipsRequest.create({ relationships: chunk }))) {
          stream.once('drain', pump);
          return;
        }
      }
      stream.end();
    };
    pump();
  });
}

export async function check(client: Client, q: SpiceQuestion): Promise<boolean> {
  const response = await client.promises.checkPermission(
    v1.CheckPermissionRequest.create({ consistency: consistency(), resource: object(q.resource), permission: q.permission, subject: userSubject(q.subject) }),
  );
  return response.permissionship === v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION;
}

/** One CheckBulkPermissions call; answers in the questions' order. An item SpiceDB answers with an error throws. */
export async function checkBulk(client: Client, questions: readonly SpiceQuestion[]): Promise<boolean[]> {
  const response = await client.promises.checkBulkPermissions(
    v1.CheckBulkPermissionsRequest.create({
      consistency: consistency(),
      items: questions.map((q) => v1.CheckBulkPermissionsRequestItem.create({ resource: object(q.resource), permission: q.permission, subject: userSubject(q.subject) })),
    }),
  );
  return response.pairs.map((pair, i) => {
    if (pair.response.oneofKind === 'error') throw new Error(`CheckBulkPermissions item ${i} (${JSON.stringify(questions[i])}): ${pair.response.error.message}`);
    if (pair.response.oneofKind !== 'item') throw new Error(`CheckBulkPermissions item ${i}: no answer`);
    return pair.response.item.permissionship === v1.CheckPermissionResponse_Permissionship.HAS_PERMISSION;
  });
}

/** The users (object ids) holding `permission` on `resource`. */
export async function lookupUsers(client: Client, resource: string, permission: string): Promise<string[]> {
  const responses = await client.promises.lookupSubjects(
    v1.LookupSubjectsRequest.create({ consistency: consistency(), resource: object(resource), permission, subjectObjectType: 'user' }),
  );
  return responses.map((r) => {
    const id = r.subject?.subjectObjectId;
    if (id === undefined || id === '*') throw new Error(`LookupSubjects ${resource}#${permission}: unexpected subject ${JSON.stringify(r.subject)}`);
    return id;
  });
}
