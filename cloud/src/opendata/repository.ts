import type Database from 'better-sqlite3';

/** A dataset a kommune has published: public without login while this row exists. */
export interface PublicDataset {
  kommune: string;
  dataset: string;
  standard: string;
  title: string;
  description: string;
  /** URL of the license, e.g. https://creativecommons.org/licenses/by/4.0/. */
  license: string;
  keywords: string[];
  /** Where questions about the dataset go (DCAT dcat:contactPoint). */
  contactEmail?: string;
  publishedAt: string;
  updatedAt: string;
}

/** A row of opendata_datasets: the text columns as in PublicDataset, keywords as JSON. */
interface Row extends Pick<PublicDataset, 'kommune' | 'dataset' | 'standard' | 'title' | 'description' | 'license'> {
  keywords: string;
  contact_email: string | null;
  published_at: string;
  updated_at: string;
}

const toDataset = (row: Row): PublicDataset => ({
  kommune: row.kommune,
  dataset: row.dataset,
  standard: row.standard,
  title: row.title,
  description: row.description,
  license: row.license,
  keywords: JSON.parse(row.keywords) as string[],
  ...(row.contact_email !== null && { contactEmail: row.contact_email }),
  publishedAt: row.published_at,
  updatedAt: row.updated_at,
});

/** The published datasets of each kommune; every call names the kommune. */
export class PublicDatasetRepository {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      get: db.prepare<[string, string], Row>('SELECT * FROM opendata_datasets WHERE kommune = ? AND dataset = ?'),
      list: db.prepare<[string], Row>('SELECT * FROM opendata_datasets WHERE kommune = ? ORDER BY dataset'),
      upsert: db.prepare(
        `INSERT INTO opendata_datasets (kommune, dataset, standard, title, description, license, keywords, contact_email, published_at, updated_at)
         VALUES (@kommune, @dataset, @standard, @title, @description, @license, @keywords, @contactEmail, @at, @at)
         ON CONFLICT (kommune, dataset) DO UPDATE SET title = excluded.title, description = excluded.description,
           license = excluded.license, keywords = excluded.keywords, contact_email = excluded.contact_email, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare('DELETE FROM opendata_datasets WHERE kommune = ? AND dataset = ?'),
    };
  }

  get(kommune: string, dataset: string): PublicDataset | undefined {
    const row = this.statements.get.get(kommune, dataset);
    return row ? toDataset(row) : undefined;
  }

  list(kommune: string): PublicDataset[] {
    return this.statements.list.all(kommune).map(toDataset);
  }

  /** Publishes, or changes the metadata of a published dataset (publishedAt stays). */
  publish(input: Omit<PublicDataset, 'publishedAt' | 'updatedAt'>, at: Date): PublicDataset {
    this.statements.upsert.run({ ...input, keywords: JSON.stringify(input.keywords), contactEmail: input.contactEmail ?? null, at: at.toISOString() });
    return this.get(input.kommune, input.dataset)!;
  }

  /** False when it was not published. */
  unpublish(kommune: string, dataset: string): boolean {
    return this.statements.remove.run(kommune, dataset).changes > 0;
  }
}
