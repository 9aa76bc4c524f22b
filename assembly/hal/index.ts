/**
 * The hardware abstraction layer for applications: helpers over the MMIO
 * bus for the STM32F407 peripherals, and the Discovery board's constants.
 */
