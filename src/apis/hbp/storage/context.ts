// What every HBP storage handler receives: the HBP context plus the storage.
import type { Storage } from "../../../storage/storage.ts";
import type { HbpContext } from "../context.ts";

export interface HbpStorageContext extends HbpContext {
  storage: Storage;
}
