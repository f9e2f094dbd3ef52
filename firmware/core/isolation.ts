// Finding the readings a server refuses (a 400 about records): the batch is halved until the
// refused ones stand alone. While isolating, the oldest `suspect` waiting readings hold one the
// server refused, and batches take at most `limit` of them. A reading refused alone is at fault
// only when the answer names a record, or splitting cured the rest of its batch under the same
// complaint; otherwise the 400 is about the device and nothing is dropped for it.

export class Isolation {
  /** While > 0, the oldest `suspect` waiting readings hold one the server refused. */
  private suspect = 0;
  /** Readings per batch while isolating; 0 when not isolating. */
  private splitLimit = 0;
  /** The 400 that started the isolation, and whether splitting has since cured part of the batch. */
  private message = "";
  private cured = false;

  get active(): boolean {
    return this.suspect > 0;
  }

  /** The records a batch may take. */
  limit(maxRecords: number): number {
    return this.splitLimit > 0 ? Math.min(this.splitLimit, maxRecords) : maxRecords;
  }

  /** A batch of `size` was refused with `message`: its halves go one at a time. */
  split(size: number, message: string): void {
    if (this.suspect <= 0) this.message = message;
    this.suspect = size;
    this.splitLimit = Math.ceil(size / 2);
  }

  /** The first `n` waiting readings go alone first (the one after them is refused). */
  focus(n: number): void {
    this.suspect = n;
    this.splitLimit = n;
  }

  /** A batch of `size` was acknowledged. */
  acknowledged(size: number): void {
    if (this.suspect <= 0) return;
    this.cured = true;
    this.suspect -= size;
    if (this.suspect <= 0) this.end();
  }

  /** The refused reading was dropped. */
  dropped(): void {
    this.suspect -= 1;
    if (this.suspect <= 0) this.end();
  }

  /** Whether one reading refused alone with `message` is itself at fault (see the header). */
  atFault(message: string, namesRecord: boolean): boolean {
    return namesRecord || (this.suspect > 0 && this.cured && message === this.message);
  }

  end(): void {
    this.suspect = 0;
    this.splitLimit = 0;
    this.message = "";
    this.cured = false;
  }
}
