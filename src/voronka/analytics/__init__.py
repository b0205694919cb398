"""Funnel analytics: conversion, time in stage, bottlenecks, losses, activities, sources, plan, forecast, review."""
