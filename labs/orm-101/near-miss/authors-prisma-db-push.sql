-- Part of a near miss for first-migration: then the Author model added and `npx prisma db push`: the table is
-- made as Prisma would, with no migration (and so no history) behind it.
CREATE TABLE "authors" (
    "id"    SERIAL NOT NULL,
    "name"  VARCHAR(100) NOT NULL,
    "email" VARCHAR(255) NOT NULL,
    CONSTRAINT "authors_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "authors_email_key" ON "authors"("email");
