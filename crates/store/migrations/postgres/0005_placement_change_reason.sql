-- Why a child moved to this placement (DfE SSDA903 REASON_PLACE_CHANGE code: CARPL, CLOSE,
-- ALLEG, STAND, APPRR, CREQB, CREQO, CHILD, LAREQ, PLACE, CUSTOD, OTHER). Recorded on the new
-- placement; the SSDA903 export writes it on the episode of care that the change ended.
-- Nullable: first placements and placements recorded before this column have none.

ALTER TABLE placements ADD COLUMN change_reason TEXT;
