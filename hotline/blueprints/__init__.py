"""Where requests enter: one blueprint per audience (agents, departments, supervisors,
admins, citizens) and the integration API. Each view parses input, calls one service,
and renders or serialises the result."""
