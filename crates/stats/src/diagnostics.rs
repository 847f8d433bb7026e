//! Diagnostics of a drawn area sample: how well it reproduces the auxiliary totals
//! (Horvitz–Thompson relative errors) and how evenly it covers the ground (the Voronoi
//! spatial balance of Stevens & Olsen 2004).

use serde::Serialize;

use crate::error::{Result, StatsError};
use crate::kdtree::KdTree;

/// The Horvitz–Thompson estimate of one auxiliary total from a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TotalCheck {
    /// Name of the variable.
    pub variable: String,
    /// True total over the frame.
    pub total: f64,
    /// Σ over the sample of x_k / π_k.
    pub estimate: f64,
    /// |estimate − total| / |total| (0 when the total is 0 and the estimate too).
    pub relative_error: f64,
}

/// Horvitz–Thompson estimates of each column of `aux` (`N × p`, row-major) from the
/// `selected` units, with their relative errors.
pub fn horvitz_thompson_checks(
    pi: &[f64],
    aux: &[f64],
    names: &[String],
    selected: &[usize],
) -> Result<Vec<TotalCheck>> {
    let p = names.len();
    if aux.len() != pi.len() * p {
        return Err(StatsError::LengthMismatch {
            what: "auxiliary matrix (units × variables)",
            expected: pi.len() * p,
            got: aux.len(),
        });
    }
    let mut out = Vec::with_capacity(p);
    for (j, name) in names.iter().enumerate() {
        let total: f64 = (0..pi.len()).map(|k| aux[k * p + j]).sum();
        let mut estimate = 0.0;
        for &k in selected {
            if pi[k] <= 0.0 {
                return Err(StatsError::InvalidValue {
                    what: "inclusion probability of a selected unit",
                    index: k,
                    value: pi[k],
                });
            }
            estimate += aux[k * p + j] / pi[k];
        }
        let diff = (estimate - total).abs();
        let relative_error = if total != 0.0 {
            diff / total.abs()
        } else if diff == 0.0 {
            0.0
        } else {
            f64::INFINITY
        };
        out.push(TotalCheck {
            variable: name.clone(),
            total,
            estimate,
            relative_error,
        });
    }
    Ok(out)
}

/// The spatial balance of a sample (Stevens & Olsen 2004), as computed by
/// `BalancedSampling::sb`: each frame unit's π goes to the nearest chosen unit (split equally
/// on ties), giving each chosen unit a Voronoi total `v_i`; the measure is
/// `(1/n) Σ (v_i − 1)²`. 0 is perfect spread; simple random samples give about 0.3–0.5.
pub fn spatial_balance(pi: &[f64], coords: &[f64], dim: usize, selected: &[usize]) -> Result<f64> {
    let n = pi.len();
    if dim == 0 || coords.len() != n * dim {
        return Err(StatsError::LengthMismatch {
            what: "coordinates (units × dimensions)",
            expected: n * dim.max(1),
            got: coords.len(),
        });
    }
    if selected.is_empty() {
        return Err(StatsError::InvalidSampleSize {
            n: 0.0,
            reason: "spatial balance needs at least one chosen unit".into(),
        });
    }
    let mut sample_coords = Vec::with_capacity(selected.len() * dim);
    for &k in selected {
        sample_coords.extend_from_slice(&coords[k * dim..(k + 1) * dim]);
    }
    let tree = KdTree::new(&sample_coords, dim);
    let mut v = vec![0.0; selected.len()];
    let mut ties = Vec::new();
    for k in 0..n {
        if pi[k] == 0.0 {
            continue;
        }
        tree.nearest_with_ties(&coords[k * dim..(k + 1) * dim], &mut ties);
        let share = pi[k] / ties.len() as f64;
        for &t in &ties {
            v[t] += share;
        }
    }
    Ok(v.iter().map(|x| (x - 1.0) * (x - 1.0)).sum::<f64>() / selected.len() as f64)
}

/// Projects longitude/latitude (degrees) to a plane in kilometres with an equirectangular
/// projection at the mean latitude: good enough to compare distances within a country, and
/// what the spread methods need (degrees of longitude shrink with latitude).
pub fn project_lon_lat(lon: &[f64], lat: &[f64]) -> Vec<f64> {
    let n = lon.len().min(lat.len());
    let mean_lat = if n == 0 {
        0.0
    } else {
        lat[..n].iter().sum::<f64>() / n as f64
    };
    let k = std::f64::consts::PI / 180.0 * 6371.0;
    let c = (mean_lat.to_radians()).cos();
    let mut out = Vec::with_capacity(2 * n);
    for i in 0..n {
        out.push(lon[i] * k * c);
        out.push(lat[i] * k);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfectly_spread_grid_has_zero_balance() {
        // Two pairs far apart, π = 0.5, one unit chosen in each pair: v = 1 for each.
        let pi = vec![0.5; 4];
        let coords = vec![0.0, 0.0, 1.0, 0.0, 10.0, 0.0, 11.0, 0.0];
        let sb = spatial_balance(&pi, &coords, 2, &[0, 2]).unwrap();
        assert!(sb.abs() < 1e-12);
        // Both chosen units in the first pair: unit 0 owns itself (0.5), unit 1 owns 1.5.
        let sb = spatial_balance(&pi, &coords, 2, &[0, 1]).unwrap();
        assert!((sb - 0.25).abs() < 1e-12);
    }

    #[test]
    fn ties_are_split() {
        // Unit 1 is equidistant from 0 and 2.
        let pi = vec![1.0, 1.0, 1.0];
        let coords = vec![0.0, 1.0, 2.0];
        let sb = spatial_balance(&pi, &coords, 1, &[0, 2]).unwrap();
        assert!((sb - 0.25).abs() < 1e-12);
    }

    #[test]
    fn ht_checks_report_relative_errors() {
        let pi = vec![0.5, 0.5];
        let aux = vec![10.0, 30.0];
        let c = horvitz_thompson_checks(&pi, &aux, &["x".into()], &[0]).unwrap();
        assert_eq!(c[0].estimate, 20.0);
        assert!((c[0].relative_error - 0.5).abs() < 1e-12);
    }

    #[test]
    fn projection_preserves_north_south_kilometres() {
        let xy = project_lon_lat(&[2.35, 2.35], &[48.85, 49.85]);
        assert!((xy[3] - xy[1] - 111.19).abs() < 0.01);
    }
}
