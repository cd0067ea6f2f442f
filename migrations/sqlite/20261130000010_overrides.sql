-- Operator overrides: the decision that waived business checks says who waived what and why
-- (`{"waived", "reason", "added_by", "token"}`), and the touch keeps its latest override (the
-- CSV export's `override` column).
ALTER TABLE decisions ADD COLUMN override TEXT;
ALTER TABLE touches ADD COLUMN override TEXT;
