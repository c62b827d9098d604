import type { CsvFile } from '../../http/csv.js';
import type { Contact } from './contacts.repo.js';

/** A contact in the API's contract. */
export const contactJson = (c: Contact) => ({
  id: c.id, phone: c.phone, name: c.name, source_group: c.sourceGroup, scraped_by: c.scrapedBy, scraped_at: c.scrapedAt,
});

/** The same fields in the console's CSV download. */
export const contactsCsv: CsvFile<Contact> = {
  filename: 'contacts.csv',
  columns: ['id', 'phone', 'name', 'source_group', 'scraped_by', 'scraped_at'],
  verbatim: ['phone'],
  cells: (c) => [c.id, c.phone, c.name, c.sourceGroup, c.scrapedBy, c.scrapedAt],
};
