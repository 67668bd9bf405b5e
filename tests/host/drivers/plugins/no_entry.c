/* A shared library that is no driver: it exports neither entry. */
int irqrig_test_not_a_driver(void);
int irqrig_test_not_a_driver(void) { return 42; }
