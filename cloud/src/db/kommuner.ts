import type Database from 'better-sqlite3';

export interface Kommune {
  code: string;
  name: string;
  createdAt: string;
}

interface KommuneRow {
  code: string;
  name: string;
  created_at: string;
}

const toKommune = (row: KommuneRow): Kommune => ({ code: row.code, name: row.name, createdAt: row.created_at });

/** The municipalities the cloud serves (DESIGN.md §2, Tenancy). */
export class KommuneRepository {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      get: db.prepare<[string], KommuneRow>('SELECT code, name, created_at FROM kommuner WHERE code = ?'),
      list: db.prepare<[], KommuneRow>('SELECT code, name, created_at FROM kommuner ORDER BY code'),
      insert: db.prepare('INSERT INTO kommuner (code, name, created_at) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING'),
    };
  }

  get(code: string): Kommune | undefined {
    const row = this.statements.get.get(code);
    return row ? toKommune(row) : undefined;
  }

  list(): Kommune[] {
    return this.statements.list.all().map(toKommune);
  }

  /** Adds the kommune unless it exists (an existing one keeps its name). */
  ensure(code: string, name: string, at: Date): Kommune {
    this.statements.insert.run(code, name, at.toISOString());
    return this.get(code)!;
  }
}
