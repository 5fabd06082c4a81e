// The outbox: submissions wait in IndexedDB until the server has stored them.
// Each entry is keyed by the inspection's client id, so saving the same submission twice
// (a double tap) keeps one entry, and the server stores a retried one once.
"use strict";

const Outbox = (() => {
  const DB_NAME = "ecogrid-m";
  const STORE = "outbox";
  let dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "client_id" });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function run(mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  return {
    put: (entry) => run("readwrite", (store) => store.put(entry)),
    remove: (clientId) => run("readwrite", (store) => store.delete(clientId)),
    all: () => run("readonly", (store) => store.getAll()),
    count: () => run("readonly", (store) => store.count()),
  };
})();
