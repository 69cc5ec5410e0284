-- migrate:up
insert into billing_plans values ('team', 4500);
insert into billing_plans values ('pro', 1900);

-- migrate:down
delete from billing_plans where plan_code = 'team';
