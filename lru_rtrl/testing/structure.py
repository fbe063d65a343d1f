"""Checks that a core's declared `CoreStructure` tells the truth about its step.

Rules trust the structure: SnAp-1 and the element-wise traces rely on every recurrent
parameter entry reaching one hidden unit in one step, `online_spat` on the hidden-to-hidden
parameters being exactly those that act through h_{t-1} only (checked both ways: every
declared one vanishes at h_{t-1} = 0, and every other one does not), the diagonal rules on
`jacobian_diagonal`. A wrong
declaration would give silently wrong gradients, so plugin authors should run

    from lru_rtrl.testing.structure import check_core_structure
    check_core_structure(MyCell(d_in=3, d_hidden=4, d_out=3))

in their tests (the built-in cores are checked this way). It uses explicit Jacobians
(`jax.jacfwd`) at random points, in float64, so keep the sizes tiny. The parameters are the
initialiser's plus a small random perturbation of every entry: an initialiser may put some at
special values (zero biases: with the GRU's b_hn = 0 its reset gate has no effect at
h_{t-1} = 0) where the structure would look different from what it is.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from lru_rtrl.cores.base import Cell


class StructureError(AssertionError):
    """The declared structure disagrees with the step's Jacobians."""


def _random_state(cell: Cell, key, batch_shape=()):
    k1, k2 = jax.random.split(key)
    h = jax.random.normal(k1, batch_shape + (cell.d_hidden,), jnp.float64)
    if cell.structure.complex_state:
        h = h + 1j * jax.random.normal(k2, h.shape, jnp.float64)
    return h


def check_core_structure(cell: Cell, *, seed: int = 0, tol: float = 1e-10) -> None:
    """Raises StructureError naming the first declaration the step contradicts."""
    with jax.enable_x64(True):
        keys = jax.random.split(jax.random.PRNGKey(seed), 5)
        params = cell.init_params(keys[0], jnp.float64)
        leaves, treedef = jax.tree_util.tree_flatten(params)
        noise = jax.random.split(keys[4], len(leaves))
        params = jax.tree_util.tree_unflatten(treedef, [
            p.astype(jnp.float64) + 0.1 * jax.random.normal(k, p.shape, jnp.float64)
            for p, k in zip(leaves, noise)])
        theta, _ = cell.split(params)
        structure = cell.structure
        missing = set(structure.recurrent) - set(theta)
        if missing:
            raise StructureError(f"{type(cell).__name__} declares recurrent parameters "
                                 f"{sorted(missing)} that init_params does not create.")
        h_prev = _random_state(cell, keys[1])
        x = jax.random.normal(keys[2], (cell.d_in,), jnp.float64)
        x_other = jax.random.normal(keys[3], (cell.d_in,), jnp.float64)
        holomorphic = structure.complex_state

        jac_h = jax.jacfwd(lambda h: cell.step(theta, h, x), holomorphic=holomorphic)(h_prev)
        diagonal = np.asarray(jnp.diagonal(jac_h))
        analytic = np.asarray(cell.jacobian_diagonal(theta, h_prev, x))
        if not np.allclose(analytic, diagonal, rtol=tol, atol=tol):
            raise StructureError(f"{type(cell).__name__}.jacobian_diagonal does not match the "
                                 "diagonal of jax.jacfwd of its step.")
        off_diagonal = np.asarray(jac_h) - np.diag(diagonal)
        if structure.diagonal and np.max(np.abs(off_diagonal)) > tol:
            raise StructureError(f"{type(cell).__name__} declares a diagonal recurrence, but "
                                 "∂f/∂h_{t-1} has off-diagonal entries.")

        for name, p in theta.items():
            jac_p = jax.jacfwd(lambda q, name=name: cell.step(dict(theta, **{name: q}), h_prev,
                                                              x))(p)  # [N, *p.shape]
            jac_p = np.asarray(jac_p)
            axis = structure.hidden_axis[name]
            if axis is not None:
                # Entry idx of p may only move unit idx[axis]: zero the allowed entries and
                # require that nothing is left.
                unit = np.arange(cell.d_hidden).reshape(
                    (cell.d_hidden,) + (1,) * p.ndim)
                index = np.arange(p.shape[axis]).reshape(
                    (1,) * (1 + axis) + (p.shape[axis],) + (1,) * (p.ndim - axis - 1))
                stray = np.where(unit == index, 0.0, np.abs(jac_p))
                if np.max(stray) > tol:
                    raise StructureError(
                        f"{type(cell).__name__}: parameter {name!r} declares hidden axis {axis}, "
                        "but some of its entries move other hidden units in one step.")
            # Hidden-to-hidden means: the parameter moves h_t only through h_{t-1}, so its
            # Jacobian vanishes at h_{t-1} = 0 (for every input). Both directions are checked:
            # a declared one must vanish there, and an undeclared one must not (otherwise
            # online_spat would silently train a parameter of the recurrence).
            at_zero = max(float(np.max(np.abs(np.asarray(jax.jacfwd(
                lambda q, name=name, xx=xx: cell.step(dict(theta, **{name: q}),
                                                      jnp.zeros_like(h_prev), xx))(p)))))
                for xx in (x, x_other))
            if name in structure.hidden_to_hidden and at_zero > tol:
                raise StructureError(
                    f"{type(cell).__name__}: parameter {name!r} is declared hidden-to-hidden "
                    "but moves h_t even when h_{t-1} = 0.")
            if name not in structure.hidden_to_hidden and at_zero <= tol:
                raise StructureError(
                    f"{type(cell).__name__}: parameter {name!r} moves h_t only through "
                    "h_{t-1} (its Jacobian vanishes at h_{t-1} = 0) but is not declared in "
                    "hidden_to_hidden; online_spat would train it. Add it to the structure's "
                    "hidden_to_hidden.")
