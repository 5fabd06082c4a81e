// The phone's own records, in IndexedDB: the outbox and the drafts.
// Outbox: submissions wait until the server has stored them. Each entry is keyed by the inspection's
// client id, so saving the same submission twice (a double tap) keeps one entry, and the server stores
// a retried one once.
// Drafts: an open visit, saved on every change (photos as Blobs), keyed by its case, so a reload, a
// killed tab or a reboot brings it back.
"use strict";

const Store = (() => {
  const DB_NAME = "ecogrid-m";
  let dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 2);
        request.onupgradeneeded = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "client_id" });
          if (!db.objectStoreNames.contains("drafts")) db.createObjectStore("drafts", { keyPath: "key" });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function run(storeName, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const result = work(tx.objectStore(storeName));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  function table(storeName) {
    return {
      put: (entry) => run(storeName, "readwrite", (store) => store.put(entry)),
      get: (key) => run(storeName, "readonly", (store) => store.get(key)),
      remove: (key) => run(storeName, "readwrite", (store) => store.delete(key)),
      all: () => run(storeName, "readonly", (store) => store.getAll()),
      count: () => run(storeName, "readonly", (store) => store.count()),
    };
  }

  return { outbox: table("outbox"), drafts: table("drafts") };
})();

const Outbox = Store.outbox;
const Drafts = Store.drafts;
