// Bench-only preload for Azurite (node --require): a hash index for the point lookups Azurite's table store makes
// before every insert, upsert, merge, update and delete, `collection.findOne({PartitionKey, RowKey})`.
//
// Why: LokiJS 1.5.12 (Azurite 3.35's table store) answers that compound findOne by scanning the whole collection,
// ~50 ns per entity in the table, so loading N entities costs ~N²: a million journal facts would take about seven
// hours to seed. Azure Table Storage finds an entity by its keys without a scan, so the scan measures nothing the
// benchmarks are about. Queries (what the delivery benchmark times: `.where(filter)`, sort, limit) do not call
// findOne and run unchanged; only the point lookups become O(1).
//
// The answers stay Azurite's own: a hit is used only while the document is still the collection's live document for
// that $loki with the same keys; a stale entry falls back to the original scan. With FNIX_POINT_INDEX_VERIFY=1 every
// lookup also runs the original scan and throws on any difference (tests/unit/test_bench_point_index.py).
"use strict";

const path = require("path");

const azurite = path.dirname(require.resolve("azurite/package.json", { paths: [process.cwd()] }));
const Loki = require(require.resolve("lokijs", { paths: [azurite] }));
const Collection = Loki.Collection;
const verify = process.env.FNIX_POINT_INDEX_VERIFY === "1";
const indexes = new WeakMap(); // collection -> Map("PartitionKey\u0000RowKey" -> internal document)

function indexOf(collection) {
  let index = indexes.get(collection);
  if (index === undefined) {
    index = new Map();
    for (const doc of collection.data) {
      remember(index, doc);
    }
    indexes.set(collection, index);
  }
  return index;
}

function remember(index, doc) {
  if (doc && typeof doc.PartitionKey === "string" && typeof doc.RowKey === "string") {
    index.set(doc.PartitionKey + "\u0000" + doc.RowKey, doc);
  }
}

function pointQuery(query) {
  if (query === null || typeof query !== "object") return null;
  const keys = Object.keys(query);
  if (keys.length !== 2 || !("PartitionKey" in query) || !("RowKey" in query)) return null;
  const { PartitionKey, RowKey } = query;
  if (typeof PartitionKey !== "string" || typeof RowKey !== "string") return null;
  return PartitionKey + "\u0000" + RowKey;
}

const originalInsertOne = Collection.prototype.insertOne;
Collection.prototype.insertOne = function (doc, bulkInsert) {
  const result = originalInsertOne.call(this, doc, bulkInsert);
  if (result !== undefined && indexes.has(this)) {
    remember(indexes.get(this), this.get(result.$loki));
  }
  return result;
};

const originalUpdate = Collection.prototype.update;
Collection.prototype.update = function (doc) {
  const result = originalUpdate.call(this, doc);
  if (!Array.isArray(doc) && indexes.has(this)) {
    remember(indexes.get(this), this.get(doc.$loki));
  } else if (Array.isArray(doc)) {
    indexes.delete(this); // rebuilt on the next lookup
  }
  return result;
};

const originalFindOne = Collection.prototype.findOne;
Collection.prototype.findOne = function (query) {
  const key = pointQuery(query);
  if (key === null || this.cloneObjects) {
    return originalFindOne.call(this, query);
  }
  const index = indexOf(this);
  let found = index.get(key) || null;
  if (found !== null && (typeof found.$loki !== "number" || this.get(found.$loki) !== found || found.PartitionKey + "\u0000" + found.RowKey !== key)) {
    found = originalFindOne.call(this, query); // stale (removed or replaced): ask the scan, remember its answer
    if (found === null) index.delete(key); else remember(index, found);
  }
  if (verify) {
    const scanned = originalFindOne.call(this, query);
    if (scanned !== found) {
      throw new Error(`point index disagrees with the scan for ${JSON.stringify(query)}`);
    }
  }
  return found;
};

process.stderr.write("fnix: point index for Azurite's table lookups loaded" + (verify ? " (verifying)" : "") + "\n");
