"""Online payment through Stripe: Checkout for renewals from the member portal (`checkout`),
and Stripe's webhook events stored by event id and processed idempotently (`events`). Every
call to Stripe itself is in `client`."""
