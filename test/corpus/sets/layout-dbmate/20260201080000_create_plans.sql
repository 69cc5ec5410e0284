-- migrate:up
create table billing_plans (plan_code varchar primary key, monthly_cents integer not null);
insert into billing_plans values ('free', 0), ('pro', 1500);

-- migrate:down
drop table billing_plans;
