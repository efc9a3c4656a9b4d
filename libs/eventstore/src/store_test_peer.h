#pragma once
// The event store's own white-box tests reach a family's RocksDB handle here (StagedWrites
// works on handles); nothing else does.

#include "yilian/eventstore/store.h"

namespace yilian::eventstore {

class StoreTestPeer {
 public:
  static rocksdb::ColumnFamilyHandle* Handle(const Store& store, Family f) { return store.cf(f); }
};

}  // namespace yilian::eventstore
