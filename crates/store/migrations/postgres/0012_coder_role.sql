-- The coder role (issue 9): members who code open answers and do nothing else. The role's
-- CHECK is found by its definition rather than by its generated name.
DO $$
DECLARE
    c text;
BEGIN
    FOR c IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'memberships'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%role%'
    LOOP
        EXECUTE format('ALTER TABLE memberships DROP CONSTRAINT %I', c);
    END LOOP;
END $$;
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check
    CHECK (role IN ('director','coordinator','trainer','walker','coder'));
