/**
 * A writer's own writes as the watch shows them back (their echoes), for the status writer and the ConfigMap writer
 * alike, per key (an object's status path, a ConfigMap's `namespace/name`):
 *
 * - While a write is in flight, every watch event for its key is held (`echo` says it is one) and judged when the
 *   answer comes (`answered`): the answered resourceVersion is the write's echo; an older one changes nothing (the
 *   echo of the write before it: a ConfigMap's previous write, anyone else's since the version a PUT carries making
 *   it fail; a status's merge patch that goes before its apply); a newer one, or one that cannot be ordered
 *   (`olderThan`), is someone else's write after it, and the writer compares again. About half of the echoes arrive
 *   before the write's own answer.
 * - After the answer, the write is remembered (its value and resourceVersion) until the informer shows it: the watch
 *   lags the write, and judging the next change against the informer's older object would skip a needed write, or
 *   send a PUT with a replaced resourceVersion (`unseen`). The echo carrying exactly that resourceVersion is let go
 *   of (`echo`: true): the informer shows the write now.
 * - A write may be for one object of its key (`WriteTarget`: a status's object, its uid and generation): an event
 *   for another uid is never its echo, nor, while the write is in flight, one of another generation (an object
 *   Charter cannot read changes its spec with no change to the engine; one deleted and made again under the same
 *   name is another object). A ConfigMap write names no target.
 */

/**
 * Whether the informer's resourceVersion is older than the one a write answered. Kubernetes resourceVersions are
 * etcd revisions (decimal integers; comparable since KEP-5504); one that is not a decimal integer is never judged
 * older (nor is a missing one), so the informer's object is trusted then.
 */
export function olderThan(informer: string | undefined, written: string): boolean {
  if (informer === undefined || !/^[0-9]{1,30}$/.test(informer) || !/^[0-9]{1,30}$/.test(written)) return false;
  return BigInt(informer) < BigInt(written);
}

/** The object a write is for, when its key can name several over time (a status: the uid and generation written for). */
export interface WriteTarget {
  uid?: string | undefined;
  generation?: number | undefined;
}

/** A write the informer has not shown yet: the resourceVersion it was answered with, and what was written. */
export interface UnseenWrite<T> {
  resourceVersion: string;
  value: T;
}

export class WriteEchoes<T> {
  /** Key → the last write answered, until the informer shows it (and the uid it was for, when it named a target). */
  private readonly last = new Map<string, UnseenWrite<T> & { target: WriteTarget | undefined }>();
  /** Key → the write in flight: its target, and the resourceVersion of the last event heard meanwhile (`null`: none). */
  private readonly inFlight = new Map<string, { target: WriteTarget | undefined; heard: string | null }>();

  /** A write of `key` goes out (for `target`, when given): events for it are held until it is answered or dropped. */
  begin(key: string, target?: WriteTarget): void {
    this.inFlight.set(key, { target, heard: null });
  }

  /**
   * The write of `key` was answered with `resourceVersion`. Its echo heard already: nothing to remember (the informer
   * shows it); else `value` is remembered until the informer does. True when an event heard meanwhile was not its
   * echo (a newer version, or one that cannot be ordered): the writer must compare again.
   */
  answered(key: string, resourceVersion: string | undefined, value: T): boolean {
    const flight = this.inFlight.get(key);
    this.inFlight.delete(key);
    const heard = flight?.heard;
    if (heard === resourceVersion && resourceVersion !== undefined) {
      this.last.delete(key);
      return false;
    }
    if (typeof resourceVersion === 'string') this.last.set(key, { resourceVersion, value, target: flight?.target });
    else this.last.delete(key);
    return heard !== null && heard !== undefined && !(resourceVersion !== undefined && olderThan(heard, resourceVersion));
  }

  /** The write of `key` failed (the error goes to the queue) or found its object gone: the events held mean nothing. */
  dropped(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * Whether a watch event (the `resourceVersion` of `key`, for `target`) is the writer's own: its last write's echo
   * (let go of: the informer shows it now), or any event for the same target while a write is in flight (judged at
   * the answer). Any other version, uid or generation is someone else's write.
   */
  echo(key: string, resourceVersion: string | undefined, target?: WriteTarget): boolean {
    const flying = this.inFlight.get(key);
    if (flying !== undefined) {
      if (flying.target !== undefined && (flying.target.uid !== target?.uid || flying.target.generation !== target?.generation)) return false;
      flying.heard = resourceVersion ?? '';
      return true;
    }
    const last = this.last.get(key);
    if (last === undefined || resourceVersion === undefined || last.resourceVersion !== resourceVersion) return false;
    if (last.target !== undefined && last.target.uid !== target?.uid) return false;
    this.last.delete(key);
    return true;
  }

  /**
   * The last write of `key` while the informer does not show it yet — its object is older (same uid, when the write
   * named a target), or absent (`undefined`: a create not seen yet); otherwise the informer has caught up, or someone
   * else wrote since, and the write is let go of.
   */
  unseen(key: string, informer: { resourceVersion?: string | undefined; uid?: string | undefined } | undefined): UnseenWrite<T> | undefined {
    const last = this.last.get(key);
    if (last === undefined) return undefined;
    if (informer === undefined || ((last.target === undefined || last.target.uid === informer.uid) && olderThan(informer.resourceVersion, last.resourceVersion))) return last;
    this.last.delete(key);
    return undefined;
  }

  /** Lets go of the last write of `key` (its object is gone, or another write replaces it). */
  forget(key: string): void {
    this.last.delete(key);
  }

  /** Lets go of every remembered write (the informer listed again: its view is current); writes in flight stay. */
  forgetAll(): void {
    this.last.clear();
  }

  /** The keys starting with `prefix` whose last write the informer has not shown yet. */
  unseenKeys(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.last.keys()) if (key.startsWith(prefix)) out.push(key);
    return out;
  }

  /** How many writes the informer has not shown yet. */
  get unseenCount(): number {
    return this.last.size;
  }
}
