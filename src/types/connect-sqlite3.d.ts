declare module 'connect-sqlite3' {
  import type session from 'express-session';

  interface SQLiteStoreOptions {
    table?: string;
    db?: string;
    dir?: string;
    concurrentDb?: boolean;
    createDirIfNotExists?: boolean;
  }
  interface SQLiteStore extends session.Store {
    db: {
      exec(sql: string, callback?: (err: Error | null) => void): void;
      close(callback?: (err: Error | null) => void): void;
    };
  }
  function connectSqlite3(s: typeof session): new (options?: SQLiteStoreOptions) => SQLiteStore;
  export default connectSqlite3;
}
