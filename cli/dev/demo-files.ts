import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../shared/connectors/blob/azure-blob-connector.js';
import { type DemoCustomer, generateDemoData } from './demo-data.js';
import { DEMO_BUDGET } from './demo-exposure.js';

/**
 * The demo storage account: a container of files that carry PII on purpose (the same fake
 * people as the demo database), exposed as connection `demo-files`. `private/` exists but is
 * not exposed, so listing or reading it shows the allowlist at work.
 */
export const DEMO_CONTAINER = 'demo-files';

export const DEMO_FILES_CONNECTION = {
  id: 'demo-files',
  kind: 'blob',
  environment: 'prod',
  description: 'Local Azurite storage: a customers CSV export, NDJSON events and a support log.',
  tags: ['demo', 'pii'],
  accountUrl: 'embedded-demo',
  auth: 'azurite',
  containers: { [DEMO_CONTAINER]: { prefixes: ['exports/', 'events/', 'logs/', 'media/'] } },
  classification: {
    'exports/*.csv': {
      full_name: 'pii.name',
      email: 'pii.email',
      phone: 'pii.phone',
      card_number: 'pci.pan',
      ssn: 'pii.ssn',
    },
    'events/**': { user_email: 'pii.email' },
    'logs/**': 'text.free',
  },
  maxRows: 1000,
  approvalBytes: 5_000_000,
  // What one agent may read of these files per hour, whatever the file (red-team round 14:
  // there was no budget). The local host's demo config also has the customers export spend
  // the customers table's own budget (tableBudgets), which names the SQL connection.
  budget: DEMO_BUDGET,
} as const;

function csvCell(value: unknown): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function customersCsv(customers: readonly DemoCustomer[]): string {
  const header = ['id', 'full_name', 'email', 'phone', 'card_number', 'ssn', 'city', 'created_at'] as const;
  const lines = customers.map((c) => header.map((h) => csvCell(c[h])).join(','));
  return `${header.join(',')}\n${lines.join('\n')}\n`;
}

function eventsNdjson(customers: readonly DemoCustomer[]): string {
  return customers
    .slice(0, 200)
    .map((c, i) =>
      JSON.stringify({
        at: `2026-12-01T${String(i % 24).padStart(2, '0')}:00:00Z`,
        type: i % 3 === 0 ? 'payment.failed' : 'login',
        user_email: c.email,
        detail: { ip: `203.0.113.${i % 250}`, note: `card ${c.card_number} declined` },
      }),
    )
    .join('\n');
}

function supportLog(customers: readonly DemoCustomer[]): string {
  return customers
    .slice(0, 100)
    .map(
      (c, i) =>
        `2026-12-01T10:${String(i % 60).padStart(2, '0')}:00Z INFO ticket ${1000 + i}: ${c.full_name} <${c.email}> ` +
        `asked to update card ${c.card_number}; call back on ${c.phone}`,
    )
    .join('\n');
}

/** The files of the demo container, by name, with their content types. */
export function demoFiles(
  customers = 500,
): Array<{ name: string; body: string | Buffer; contentType: string }> {
  const data = generateDemoData({ customers });
  return [
    { name: 'exports/customers.csv', body: customersCsv(data.customers), contentType: 'text/csv' },
    {
      name: 'events/2026-12-01.ndjson',
      body: eventsNdjson(data.customers),
      contentType: 'application/x-ndjson',
    },
    { name: 'logs/support.log', body: supportLog(data.customers), contentType: 'text/plain' },
    {
      name: 'media/logo.png',
      body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]),
      contentType: 'image/png',
    },
    { name: 'private/payroll.csv', body: 'name,salary\nAda,100\n', contentType: 'text/csv' },
  ];
}

export function azuriteService(accountUrl: string): BlobServiceClient {
  return new BlobServiceClient(accountUrl, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
}

/** Creates the demo container and uploads its files (idempotent). */
export async function seedDemoFiles(accountUrl: string, customers?: number): Promise<void> {
  const container = azuriteService(accountUrl).getContainerClient(DEMO_CONTAINER);
  await container.createIfNotExists();
  await Promise.all(
    demoFiles(customers).map((f) =>
      container
        .getBlockBlobClient(f.name)
        .upload(f.body, Buffer.byteLength(f.body), { blobHTTPHeaders: { blobContentType: f.contentType } }),
    ),
  );
}
