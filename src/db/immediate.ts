/**
 * BEGIN IMMEDIATE … COMMIT around async work, for both drivers: rolls back and rethrows when the
 * work fails (unless SQLite already rolled back, as it does on some errors).
 */
export async function immediateTransaction<T>(
  connection: { exec(sql: string): void; readonly inTransaction: boolean },
  fn: () => Promise<T>,
): Promise<T> {
  connection.exec('BEGIN IMMEDIATE');
  try {
    const result = await fn();
    connection.exec('COMMIT');
    return result;
  } catch (error) {
    if (connection.inTransaction) connection.exec('ROLLBACK');
    throw error;
  }
}
